#!/usr/bin/env bash
# What `make run` and `make test` need from Debian besides Python packages:
#   fonts-noto-cjk   Chinese glyphs in the PDF records WeasyPrint renders
#   libpango         WeasyPrint's text layout
#   chromium         the browser the Playwright tests drive (Playwright's own download is not used)
#   poppler-utils    pdftoppm, to look at rendered PDFs
#   npm              installs axe-core, the accessibility check of the browser tests
#   wrk              (only `scripts/system-deps.sh wrk`, for make loadtest) an HTTP load generator
#   nginx, iproute2, redis-server, postgresql
#                    (only for make stack-test) Debian's nginx in front of the stack, `ip` for
#                    its network namespace, the servers it starts for the compose file's
#                    redis and db
# Extra arguments are commands, each installed with the package of its name or the one after
# a colon (ip:iproute2). As root, missing packages are installed; otherwise the exact command
# is printed.
set -euo pipefail

missing=()
for extra in "$@"; do
  command -v "${extra%%:*}" >/dev/null 2>&1 || missing+=("${extra#*:}")
done
fc-list :lang=zh 2>/dev/null | grep -qi "noto" || missing+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v npm >/dev/null 2>&1 || missing+=(npm)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
