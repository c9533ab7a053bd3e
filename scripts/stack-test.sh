#!/usr/bin/env bash
# `make stack-test`: the production topology of deploy/compose.yaml through Debian's nginx
# (tests/stack/). As root, in network, mount and PID namespaces of its own (unshare): nginx has
# ports 80 and 443 and the web servers 127.0.0.2 and 127.0.0.3 to itself, the containers'
# paths are mounted where only it sees them, /tmp is in memory, and when pytest ends, however
# it ends, the kernel ends every process it started. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inside" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "make stack-test runs as root: nginx listens on ports 80 and 443, in namespaces of its own." >&2
    exit 1
  fi
  for program in nginx redis-server; do
    command -v "$program" >/dev/null || { echo "make stack-test needs $program" >&2; exit 1; }
  done
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    || { echo "make stack-test needs PostgreSQL's server (postgresql)" >&2; exit 1; }
  exec unshare --net --mount --pid --fork --kill-child --mount-proc -- "$0" --inside "$@"
fi
shift
mount -t tmpfs -o mode=1777 tmpfs /tmp
ip link set lo up
export STACK_NAMESPACE=1
exec .venv/bin/python -m pytest -p no:cacheprovider -n0 tests/stack "$@"
