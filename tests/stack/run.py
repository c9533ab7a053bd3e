"""Starts and stops the stack tests/stack/layout.py describes, for `make stack-test`.

scripts/stack-test.sh runs pytest as root in network, mount and PID namespaces of its own
(`unshare`), with /tmp a memory file system: the loopback addresses and the ports 80 and 443
are this test's alone, the mounts below are seen by nothing else, and when pytest ends, however
it ends, the kernel ends every process started here and /tmp is gone. Inside them this module
makes the containers' file system where the stack reads it: the volumes at the paths the
compose file mounts them (deploy/nginx.conf at /etc/nginx/nginx.conf, the `var` volume at
/srv/rentcenter/var …), a folder that is missing created in a private overlay of its parent,
so nothing is written to the machine's disk; then it runs each container's command in start
order: PostgreSQL (its own server: initdb with the user, password and database of
postgres.env), Redis with the compose file's options, the release job to its end, the web
servers (each with its own metrics folder, as in its container), the task worker, and
Debian's nginx after `nginx -t`. Logs go to var/stack-test/<container>.log.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.stack.layout import DEPLOY, ROOT, Container, Layout, describe, load_compose

LOGS = ROOT / "var" / "stack-test"
VENV_BIN = Path(sys.executable).parent
START_SECONDS = 120


def inside_the_namespaces() -> bool:
    """Only scripts/stack-test.sh's namespaces: pytest is their first process."""
    return os.environ.get("STACK_NAMESPACE") == "1" and os.getpid() == 1


# The machine's file system, privately ---------------------------------------------------------


class FileSystem:
    """Mounts in this process's own mount namespace."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.overlaid: list[Path] = []

    def private(self, folder: Path) -> None:
        """`folder` as it is, but what is written there stays in this namespace (overlayfs
        with its upper layer in /tmp, a memory file system here)."""
        if self.is_private(folder):
            return
        if folder == Path("/"):
            raise RuntimeError("the stack test will not lay an overlay over /")
        layer = self.work / "overlays" / str(len(self.overlaid))
        (layer / "upper").mkdir(parents=True)
        (layer / "work").mkdir()
        options = f"lowerdir={folder},upperdir={layer / 'upper'},workdir={layer / 'work'}"
        mount("-t", "overlay", "overlay", "-o", options, str(folder))
        self.overlaid.append(folder)

    def is_private(self, path: Path) -> bool:
        return any(path == folder or folder in path.parents for folder in self.overlaid)

    def make_room(self, path: Path, *, folder: bool) -> None:
        """Create `path` (a folder or an empty file) where it is missing, privately."""
        if path.exists():
            return
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        self.private(parent)
        if folder:
            path.mkdir(parents=True, mode=0o755)
        else:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            path.touch()

    def bind(self, source: Path, target: Path) -> None:
        mount("--bind", str(source), str(target))


def mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True)  # noqa: S603, S607 - util-linux's mount


def throwaway_certificate(domain: str, certs: Path) -> Path:
    """A CA made for this run and the site's certificate signed by it, in certs/ as the
    operator's would be (fullchain.pem, privkey.pem); returns the CA's certificate, which only
    the test's client trusts. Nothing of it is kept."""
    now = datetime.now(tz=UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rentcenter stack-test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    site = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    certs.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    (certs / "fullchain.pem").write_bytes(site.public_bytes(pem))
    (certs / "privkey.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (certs / "privkey.pem").chmod(0o600)
    authority = certs.parent / "ca.pem"
    authority.write_bytes(ca.public_bytes(pem))
    return authority


# The containers' processes ----------------------------------------------------------------------


class Stack:
    """The running stack: its layout, its processes, and what the tests need to reach it."""

    def __init__(self, layout: Layout, work: Path, domain: str, ca_file: Path) -> None:
        self.layout, self.work, self.domain, self.ca_file = layout, work, domain, ca_file
        self.processes: dict[str, subprocess.Popen] = {}
        self.nginx_test = ""
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []  # figures the tests report at the end

    # What a container runs with

    def app_environment(self, container: Container) -> dict[str, str]:
        """The container's variables, over what its image sets (Dockerfile: ENV)."""
        return {
            "PATH": f"{VENV_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.work / "home"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **container.environment,
        }

    def job_container(self) -> Container:
        """Where one-off commands run (`docker compose run --rm release …`)."""
        apps = [c for c in self.layout.containers if c.kind == "app"]
        return next((c for c in apps if c.one_off), apps[0])

    def manage(self, *arguments: str) -> str:
        """`python manage.py …` in a one-off container; its output."""
        environment = self.app_environment(self.job_container())
        result = subprocess.run(  # noqa: S603 - the project's own manage.py
            [str(VENV_BIN / "python"), "manage.py", *arguments],
            env=environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(arguments)}:\n{result.stderr[-3000:]}")
        return result.stdout

    def database_url(self) -> str:
        return self.app_environment(self.job_container())["DATABASE_URL"]

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url(), autocommit=True)

    # Starting

    def start(self) -> None:
        """Wave by wave, as compose starts them: every container of a wave spawned, then each
        waited for (healthy, or ended well for a one-off job)."""
        for wave in sorted({container.wave for container in self.layout.containers}):
            started = time.monotonic()
            containers = [c for c in self.layout.containers if c.wave == wave]
            waits = [getattr(self, f"_start_{c.kind}")(c) for c in containers]
            for wait in waits:
                wait()
            self.timings[" ".join(c.name for c in containers)] = time.monotonic() - started

    def _spawn(
        self, container: Container, command: list[str], environment: dict[str, str], **options
    ) -> subprocess.Popen:
        log = (LOGS / f"{container.name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - the compose file's commands
            command,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a process group of its own: killed as a container is
            **options,
        )
        log.close()
        self.processes[container.name] = process
        return process

    def _wait(self, container: Container, ready: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + START_SECONDS
        process = self.processes.get(container.name)
        while time.monotonic() < deadline:
            with suppress(Exception):
                if ready():
                    return
            if process and process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{container.name} did not {what}:\n{self.log_tail(container.name)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = LOGS / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # Each kind of container: spawned, and a function that waits until it is ready.

    def _start_postgres(self, container: Container) -> Callable[[], None]:
        """The postgres image's entrypoint: initdb with POSTGRES_USER and POSTGRES_PASSWORD,
        every address allowed with a password, then POSTGRES_DB created."""
        environment = container.environment
        user, password = environment["POSTGRES_USER"], environment["POSTGRES_PASSWORD"]
        binaries = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        data = self.work / f"{container.name}-data"
        data.mkdir(mode=0o700)
        password_file = self.work / f"{container.name}-password"
        password_file.write_text(password + "\n")
        for path in (data, password_file):
            shutil.chown(path, "postgres", "postgres")
        as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": []}
        subprocess.run(  # noqa: S603 - PostgreSQL's own initdb
            [
                str(binaries / "initdb"), "-D", str(data), "-U", user,
                f"--pwfile={password_file}", "--auth=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ],
            check=True, capture_output=True, **as_postgres,
        )  # fmt: skip
        with (data / "pg_hba.conf").open("a") as rules:
            rules.write("host all all all scram-sha-256\n")  # as the postgres image does
        self._spawn(
            container,
            [
                str(binaries / "postgres"), "-D", str(data),
                "-c", f"listen_addresses={container.address}",
                "-c", f"unix_socket_directories={data}",
            ],
            {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            **as_postgres,
        )  # fmt: skip
        server = f"host={container.address} user={user} password={password} dbname=postgres"

        def accepts() -> bool:
            with psycopg.connect(server, connect_timeout=2):
                return True

        def ready() -> None:
            self._wait(container, accepts, "accept connections")
            with psycopg.connect(server, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{environment["POSTGRES_DB"]}"')

        return ready

    def _start_redis(self, container: Container) -> Callable[[], None]:
        command = list(container.command) or ["redis-server"]
        if "--bind" not in command:
            command += ["--bind", container.address]
        if "--port" not in command:
            command += ["--port", "6379"]  # the image's
        folder = self.work / container.name
        folder.mkdir()
        self._spawn(container, [*command, "--dir", str(folder)], {"PATH": "/usr/bin:/bin"})
        client = redis.Redis(host=container.address, port=int(command[command.index("--port") + 1]))
        return lambda: self._wait(container, client.ping, "answer PING")

    def _start_app(self, container: Container) -> Callable[[], None]:
        environment = self.app_environment(container)
        command = list(container.command)
        if environment.get("PROMETHEUS_MULTIPROC_DIR"):
            # A folder of the container's own in its image: a tmpfs for this process alone.
            command = [
                "unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                'mount -t tmpfs -o mode=0755 tmpfs "$PROMETHEUS_MULTIPROC_DIR" && exec "$@"',
                container.name, *command,
            ]  # fmt: skip
        process = self._spawn(container, command, environment, cwd=ROOT)

        def ended_well() -> None:
            if process.wait(timeout=600) != 0:
                raise RuntimeError(f"{container.name} failed:\n{self.log_tail(container.name)}")

        def running() -> None:
            time.sleep(0.5)
            if process.poll() is not None:
                raise RuntimeError(f"{container.name} exited:\n{self.log_tail(container.name)}")

        if container.one_off:
            return ended_well
        bind = environment.get("GUNICORN_BIND")
        if not bind:
            return running
        # A web server: the compose file's health check, /healthz.
        url = f"http://{bind}/healthz"
        return lambda: self._wait(
            container, lambda: urllib.request.urlopen(url, timeout=2), "answer /healthz"
        )

    def _start_nginx(self, container: Container) -> Callable[[], None]:
        command = ["nginx", "-t"]  # Debian's, reading /etc/nginx/nginx.conf: deploy/nginx.conf
        checked = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        self.nginx_test = checked.stdout + checked.stderr
        if checked.returncode:
            raise RuntimeError(f"nginx -t refused deploy/nginx.conf:\n{self.nginx_test}")
        self._spawn(container, ["nginx", "-g", "daemon off;"], {"PATH": "/usr/sbin:/usr/bin"})
        url = "http://127.0.0.1:8080/nginx-health"  # the compose file's health check
        return lambda: self._wait(
            container, lambda: urllib.request.urlopen(url, timeout=2), "answer"
        )

    # Stopping

    def kill(self, name: str) -> None:
        """As `docker kill`: SIGKILL to every process of the container."""
        process = self.processes[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for name, process in reversed(self.processes.items()):
            if process.poll() is not None:
                continue
            postgres = self.layout.container(name).kind == "postgres"
            gentle = signal.SIGINT if postgres else signal.SIGTERM  # PostgreSQL's fast shutdown
            with suppress(ProcessLookupError):
                os.killpg(process.pid, gentle)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def running(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is None]


@contextmanager
def started_stack(domain: str) -> Iterator[Stack]:
    """The whole stack, started; stopped and removed however the block ends."""
    if not inside_the_namespaces():
        raise RuntimeError("only inside scripts/stack-test.sh's namespaces (make stack-test)")
    work = Path(tempfile.gettempdir()) / "rentcenter-stack"  # in memory (scripts/stack-test.sh)
    work.mkdir(mode=0o755)
    work.chmod(0o755)  # PostgreSQL's user reaches its folder in here
    if LOGS.exists():
        shutil.rmtree(LOGS)
    LOGS.mkdir(parents=True)
    env_files = work / "env"
    env_files.mkdir()
    subprocess.run(  # noqa: S603 - the operator's own script, as the README runs it
        [sys.executable, str(DEPLOY / "new_env.py"), "--domain", domain, "--out", str(env_files)],
        check=True,
        capture_output=True,
    )
    layout = describe(load_compose(), work=work, env_files=env_files, domain=domain)
    ca_file = throwaway_certificate(domain, work / "certs")
    (work / "nginx-upstream.conf").write_text(layout.upstream_conf)
    (work / "hosts").write_text(layout.hosts)
    (work / "home").mkdir()
    files = FileSystem(work)
    for target, source in layout.mounts.items():
        if not source.exists():  # a named volume, empty at first
            source.mkdir(parents=True, mode=0o755)
        files.make_room(Path(target), folder=source.is_dir())
    # The var volume as an earlier release left it, with the PDF fonts built (make install
    # built the same ones in var/fonts): the release job's build_pdf_fonts finds them, as at
    # any release but the first, and saves the run a minute on a busy machine.
    var_dir = layout.mounts.get(
        next(c for c in layout.containers if c.kind == "app").environment["VAR_DIR"]
    )
    if var_dir and (ROOT / "var" / "fonts").is_dir():
        shutil.copytree(ROOT / "var" / "fonts", var_dir / "fonts")
    for container in layout.containers:
        private = container.environment.get("PROMETHEUS_MULTIPROC_DIR")
        if private:
            files.make_room(Path(private), folder=True)
    # nginx's pid file (/run) and request bodies (/var/lib/nginx), as in its own container.
    for folder in (Path("/run"), Path("/var/lib/nginx")):
        files.private(folder)
    files.bind(work / "hosts", Path("/etc/hosts"))
    for target, source in layout.mounts.items():
        files.bind(source, Path(target))
    stack = Stack(layout, work, domain, ca_file)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
