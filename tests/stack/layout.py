"""The production stack of deploy/compose.yaml, laid out on one machine for `make stack-test`.

Everything comes from the compose file, so a change there (a service, a replica, a Redis
option, a volume, a variable) is what the stack test runs: which services exist and what each
runs (the image says the kind: the project's image, nginx, PostgreSQL, Redis), the start order
(depends_on), the replicas, every variable (the env files deploy/new_env.py writes, then the
service's `environment`), the volumes (named ones become folders, `./` paths the files beside
the compose file) and the web servers nginx proxies to (deploy/nginx-upstream.conf names them).

What differs from the containers, and nothing else:
- every container gets a loopback address of its own (nginx 127.0.0.1, the upstream's
  replicas 127.0.0.2, 127.0.0.3 …, the others from 127.0.0.10), and /etc/hosts gives each
  service name its addresses, so `db:5432` or `redis:6379` in a URL reach them unchanged; a
  server told to bind 0.0.0.0 binds its own address instead, since here they share one loopback;
- nginx-upstream.conf lists those replica addresses instead of the name Docker's DNS resolves
  (Debian's nginx has no `resolve`), with the same port and parameters;
- ./certs, the operator's certificate, is a throw-away one (tests/stack/run.py).
This module only describes; tests/stack/run.py mounts and starts, tests/test_deploy.py checks
the description without root.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
UPSTREAM_FILE = "nginx-upstream.conf"
# The sources of the compose file's volumes that are this machine's own (see the docstring).
REPLACED_SOURCES = ("./certs", f"./{UPSTREAM_FILE}")
NGINX_ADDRESS = "127.0.0.1"
FIRST_REPLICA = 2  # 127.0.0.2, 127.0.0.3 …
FIRST_OTHER = 10


@dataclass(frozen=True)
class Container:
    service: str
    replica: int
    kind: str  # "app" (the project's image), "nginx", "postgres" or "redis"
    address: str
    command: tuple[str, ...]  # empty: the image's own (nginx, PostgreSQL)
    environment: dict[str, str] = field(hash=False)
    one_off: bool = False  # runs to its end before the services that wait for it start
    wave: int = 0  # starts with the others of its wave, once the waves before it are ready

    @property
    def name(self) -> str:
        return f"{self.service}-{self.replica}"


@dataclass(frozen=True)
class Upstream:
    service: str
    port: int
    parameters: str  # what follows the address on the server line, `resolve` left out


@dataclass(frozen=True)
class Layout:
    containers: list[Container]  # in the order they start
    mounts: dict[str, Path]  # path in the namespace → what is mounted there
    hosts: str  # /etc/hosts
    upstream_conf: str  # nginx-upstream.conf as this machine needs it
    upstream: Upstream

    def of(self, service: str) -> list[Container]:
        return [c for c in self.containers if c.service == service]

    def container(self, name: str) -> Container:
        return next(c for c in self.containers if c.name == name)

    def upstream_addresses(self) -> list[str]:
        return [f"{c.address}:{self.upstream.port}" for c in self.of(self.upstream.service)]


def load_compose(path: Path = DEPLOY / "compose.yaml") -> dict:
    return yaml.safe_load(path.read_text())


def read_upstream(text: str) -> Upstream:
    """The one `server NAME:PORT [parameters];` line of deploy/nginx-upstream.conf."""
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)([^;]*);", text, re.MULTILINE)
    if len(servers) != 1:
        raise ValueError(f"{UPSTREAM_FILE} should name one service, not {len(servers)} lines")
    name, port, parameters = servers[0]
    kept = " ".join(word for word in parameters.split() if word != "resolve")
    return Upstream(service=name, port=int(port), parameters=kept)


def kind_of(service: dict) -> str:
    image = service.get("image", "")
    if "build" in service:
        return "app"
    for kind in ("nginx", "postgres", "redis"):
        if image.startswith(f"{kind}:"):
            return kind
    raise ValueError(f"the stack test does not know how to run the image {image!r}")


def start_order(services: dict[str, dict]) -> dict[str, int]:
    """Each service's wave, in the compose file's order, each after those it depends on: a
    service with no dependency is in wave 0, any other one wave after its latest dependency
    (compose starts the services of a wave together)."""
    waves: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise ValueError(f"depends_on goes round: {' → '.join((*path, name))}")
        if name not in waves:
            dependencies = services[name].get("depends_on", {})
            waves[name] = 1 + max((visit(d, (*path, name)) for d in dependencies), default=-1)
        return waves[name]

    for name in services:
        visit(name, ())
    return dict(sorted(waves.items(), key=lambda item: item[1]))


def read_env_file(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def environment_of(service: dict, env_files: Path) -> dict[str, str]:
    """The env files the service names (found in `env_files`, where new_env.py wrote them),
    then its `environment`, as compose merges them."""
    environment: dict[str, str] = {}
    for entry in service.get("env_file", []):
        name = entry["path"] if isinstance(entry, dict) else entry
        environment.update(read_env_file(env_files / name))
    declared = service.get("environment", {})
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    environment.update({name: str(value) for name, value in declared.items()})
    return environment


def own_address(environment: dict[str, str], address: str) -> dict[str, str]:
    """A server told to listen on every address (0.0.0.0:PORT) listens on its own."""
    return {
        name: re.sub(r"^0\.0\.0\.0:(\d+)$", rf"{address}:\1", value)
        for name, value in environment.items()
    }


def volume_source(source: str, work: Path) -> Path:
    if source in REPLACED_SOURCES:
        return work / source.removeprefix("./")
    if source.startswith(("./", "../")):
        return (DEPLOY / source).resolve()
    return work / "volumes" / source  # a named volume


def describe(compose: dict, *, work: Path, env_files: Path, domain: str) -> Layout:
    """The stack of `compose` on this machine; `work` holds the volumes, the certificate and
    the upstream file; `env_files` the files deploy/new_env.py wrote."""
    services = compose["services"]
    upstream = read_upstream((DEPLOY / UPSTREAM_FILE).read_text())
    if upstream.service not in services:
        raise ValueError(f"{UPSTREAM_FILE} names {upstream.service}, not a compose service")
    containers: list[Container] = []
    others = iter(range(FIRST_OTHER, 255))
    names: dict[str, list[str]] = {}
    mounts: dict[str, Path] = {}
    for name, wave in start_order(services).items():
        service = services[name]
        kind = kind_of(service)
        replicas = service.get("deploy", {}).get("replicas", 1)
        for replica in range(1, replicas + 1):
            if kind == "nginx":
                address = NGINX_ADDRESS
            elif name == upstream.service:
                address = f"127.0.0.{FIRST_REPLICA + replica - 1}"
            else:
                address = f"127.0.0.{next(others)}"
            names.setdefault(name, []).append(address)
            command = service.get("command", ())
            containers.append(
                Container(
                    service=name,
                    replica=replica,
                    kind=kind,
                    address=address,
                    command=tuple(command.split() if isinstance(command, str) else command),
                    environment=own_address(environment_of(service, env_files), address),
                    one_off=service.get("restart") == "no",
                    wave=wave,
                )
            )
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            path = volume_source(source, work)
            if mounts.setdefault(target, path) != path:
                raise ValueError(f"{target} is mounted from two places: {mounts[target]}, {path}")
    hosts = [f"{NGINX_ADDRESS} localhost {domain}"]
    hosts += [f"{address} {name}" for name, addresses in names.items() for address in addresses]
    parameters = f" {upstream.parameters}" if upstream.parameters else ""
    upstream_conf = "".join(
        f"server {address}:{upstream.port}{parameters};\n" for address in names[upstream.service]
    )
    return Layout(
        containers=containers,
        mounts=mounts,
        hosts="\n".join(hosts) + "\n",
        upstream_conf=upstream_conf,
        upstream=upstream,
    )
