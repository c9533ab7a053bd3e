"""The production stack (deploy/compose.yaml, Dockerfile, deploy/nginx.conf, deploy/new_env.py):
its structure, and that every variable it sets is one the settings (or gunicorn) read.
`docker compose config` validates the file where Docker's compose plugin is installed."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.rentcenter.test_settings import run_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
APP_SERVICES = ("release", "web", "worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def read_variables() -> set[str]:
    """Every variable rentcenter/settings.py (its env helpers, os.environ) and
    deploy/gunicorn.conf.py read."""
    settings = (ROOT / "rentcenter" / "settings.py").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    pattern = r'(?:env\w*\(|os\.environ\.get\(|os\.environ\[)\s*"([A-Z][A-Z0-9_]*)"'
    return set(re.findall(pattern, settings)) | set(re.findall(pattern, gunicorn))


def new_env(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(DEPLOY / "new_env.py"), "--out", str(tmp_path), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def env_file(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_services_of_the_stack(compose):
    assert set(compose["services"]) == {
        "release", "web", "worker", "nginx", "db", "redis", "queue",
    }  # fmt: skip


def redis_options(service: dict) -> dict[str, str]:
    command = service["command"]
    assert command[0] == "redis-server"
    return {
        name.removeprefix("--"): value
        for name, value in zip(command[1::2], command[2::2], strict=True)
    }


def test_the_cache_redis_is_bounded_and_evicts_and_the_queue_redis_never_does(compose):
    """Issue 17, finding 2: a cache without `maxmemory` grows until the host runs out. The
    cache's Redis evicts any key, least recently used first; the task queue has a Redis of its
    own that never evicts (RQ's jobs and registries must not vanish), and the apps use it."""
    services = compose["services"]
    cache = redis_options(services["redis"])
    assert cache["maxmemory-policy"] == "allkeys-lru"
    assert re.fullmatch(r"\d+(mb|gb)", cache["maxmemory"])
    queue = redis_options(services["queue"])
    assert queue["maxmemory-policy"] == "noeviction"
    assert "maxmemory" not in queue
    for name in APP_SERVICES:
        environment = environment_of(services[name])
        assert environment["TASKS_REDIS_URL"] == "redis://queue:6379/0", name
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["queue"] == {"condition": "service_healthy"}
    assert services["queue"]["healthcheck"]["test"]


def test_one_image_built_from_the_dockerfile_for_every_app_container(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"rentcenter:latest"}
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim-bookworm" in dockerfile
    assert "fonts-noto-cjk" in dockerfile  # WeasyPrint's Chinese glyphs
    assert "libpango-1.0-0" in dockerfile
    assert "USER rentcenter" in dockerfile


def test_two_web_containers_and_a_task_worker(compose):
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    assert web["deploy"]["replicas"] >= 2
    assert web["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "rentcenter.wsgi"]
    assert worker["deploy"]["replicas"] >= 1
    assert worker["command"] == ["python", "manage.py", "rqworker", "high", "default"]
    assert environment_of(worker)["TASKS_BACKEND"] == "rq"
    assert environment_of(web)["TASKS_BACKEND"] == "rq"  # the web enqueues on the same queue


def test_the_release_job_runs_first(compose):
    services = compose["services"]
    release = " ".join(services["release"]["command"])
    steps = (
        "migrate --no-input",
        "collectstatic --no-input",
        "build_error_pages",
        "build_pdf_fonts",
    )
    for step in steps:
        assert f"python manage.py {step}" in release
    # nginx's error pages name the release's hashed style sheet: after collectstatic.
    assert release.index("collectstatic") < release.index("build_error_pages")
    assert services["release"]["restart"] == "no"
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["release"] == {"condition": "service_completed_successfully"}
        assert depends["db"] == {"condition": "service_healthy"}
        assert depends["redis"] == {"condition": "service_healthy"}
    assert services["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_health_checks(compose):
    services = compose["services"]
    for name in ("web", "nginx", "db", "redis", "queue"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_files_on_the_shared_volume_and_nginx_reading_them_only(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        assert "var:/srv/rentcenter/var" in services[name]["volumes"]
        assert environment_of(services[name])["VAR_DIR"] == "/srv/rentcenter/var"
    assert "var:/srv/rentcenter/var:ro" in services["nginx"]["volumes"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert set(compose["volumes"]) >= {"var", "db"}


def test_every_variable_the_stack_sets_is_read_by_the_settings(compose, tmp_path):
    read = read_variables()
    assert {"SECRET_KEY", "REDIS_URL", "LOG_FORMAT", "METRICS_TOKEN", "WEB_CONCURRENCY"} <= read
    assert new_env(tmp_path, "--domain", "zl.example.cn").returncode == 0
    set_by_stack = set(env_file(tmp_path / "rentcenter.env"))
    for name in APP_SERVICES:
        set_by_stack |= set(environment_of(compose["services"][name]))
    assert set_by_stack - read == set()


def test_the_secrets_come_from_env_files_that_new_env_writes(compose, tmp_path):
    services = compose["services"]
    for name in APP_SERVICES:
        assert services[name]["env_file"] == [{"path": "rentcenter.env", "required": True}]
    assert services["db"]["env_file"] == [{"path": "postgres.env", "required": True}]
    result = new_env(tmp_path, "--domain", "zl.example.cn")
    assert result.returncode == 0, result.stderr
    site, database = env_file(tmp_path / "rentcenter.env"), env_file(tmp_path / "postgres.env")
    assert (tmp_path / "rentcenter.env").stat().st_mode & 0o777 == 0o600
    assert not any("<" in value or not value for value in site.values())  # no placeholder
    password = database["POSTGRES_PASSWORD"]
    assert site["DATABASE_URL"] == f"postgres://rentcenter:{password}@db:5432/rentcenter"
    assert database["POSTGRES_USER"] == "rentcenter"
    assert site["SMS_BACKEND"] == "file"  # until the gateway is known: kept, not sent
    assert site["IDENTITY_VERIFIER"] == "local"  # until the service is known: check --deploy warns
    again = new_env(tmp_path, "--domain", "zl.example.cn")
    assert again.returncode == 1  # never overwrites the keys that decrypt the ID numbers
    assert env_file(tmp_path / "rentcenter.env") == site
    other = tmp_path / "other"
    other.mkdir()
    new_env(other, "--domain", "zl.example.cn")
    assert env_file(other / "rentcenter.env")["SECRET_KEY"] != site["SECRET_KEY"]


def test_the_written_environment_passes_check_deploy(compose, tmp_path):
    """What a web container runs with: the env file and the compose file's variables."""
    result = new_env(
        tmp_path, "--domain", "zl.example.cn", "--sms-url", "https://sms.example.cn/send",
        "--sms-key", "k" * 20, "--identity-url", "https://id.example.cn/verify",
        "--identity-key", "i" * 32,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    environment = env_file(tmp_path / "rentcenter.env")
    environment.update(environment_of(compose["services"]["web"]))
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    environment.update(VAR_DIR=str(tmp_path), PROMETHEUS_MULTIPROC_DIR=str(metrics))
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    checked = run_settings(tmp_path, code, **environment)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_nginx_takes_a_posts_worth_of_phone_photos_and_answers_more_in_chinese():
    """One 上传材料 item's upload (five phone photos at most) fits; beyond the limit nginx
    answers the site's Chinese page (templates/413.html, written by build_error_pages), which
    names the limit."""
    from applications.documents import MAX_DOCUMENT_BYTES
    from applications.drafts import MAX_FILES_PER_KIND

    conf = (DEPLOY / "nginx.conf").read_text()
    limit = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1)) * 1024 * 1024
    assert limit >= MAX_FILES_PER_KIND * MAX_DOCUMENT_BYTES + 1024 * 1024
    page = re.search(r"error_page 413 /errors/(\S+);", conf).group(1)
    text = (ROOT / "templates" / page).read_text()
    assert "上传的文件太大" in text
    assert f"{limit // (1024 * 1024)}&nbsp;MB" in text


def test_nginx_serves_media_with_the_readmes_headers_and_never_private_files():
    conf = (DEPLOY / "nginx.conf").read_text()
    readme = (ROOT / "README.md").read_text()
    media_block = readme.split("### Serving `/media/`", 1)[1].split("```nginx", 1)[1]
    for line in (
        'add_header X-Content-Type-Options "nosniff" always;',
        "add_header Content-Security-Policy $media_csp always;",
        "add_header Content-Disposition $media_disposition always;",
        '~*\\.pdf$  "sandbox";',
        "default_type application/octet-stream;",
    ):
        assert line in media_block
        assert line in conf
    assert "client_max_body_size 110m;" in conf
    assert "return 301 https://$host$request_uri;" in conf
    assert "ssl_certificate /etc/nginx/certs/fullchain.pem;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    served = re.findall(r"^\s*(?:alias|root)\s+([^;]+);", conf, re.MULTILINE)
    assert served == [
        "/srv/rentcenter/var/static/errors/",
        "/srv/rentcenter/var/static/",
        "/srv/rentcenter/var/media/",
    ]


DOCKER = shutil.which("docker")


@pytest.mark.skipif(
    subprocess.run([DOCKER, "compose", "version"], capture_output=True, check=False).returncode  # noqa: S603
    if DOCKER
    else True,
    reason="Docker's compose plugin is not installed; the structure is checked above",
)  # fmt: skip
def test_docker_compose_config_validates(tmp_path):
    """On a copy of deploy/ with freshly written env files (the real ones are secrets)."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for name in ("compose.yaml", "nginx.conf", "nginx-upstream.conf"):
        shutil.copy(DEPLOY / name, deploy / name)
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    assert new_env(deploy, "--domain", "zl.example.cn").returncode == 0
    result = subprocess.run(  # noqa: S603 - Docker's own client
        [DOCKER, "compose", "-f", str(deploy / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_variable_the_settings_read_is_in_the_readmes_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## Deploying for real\n", 1)[0]
    settings = (ROOT / "rentcenter" / "settings.py").read_text()
    pattern = r'(?:env\w*\(|os\.environ\.get\()\s*"([A-Z][A-Z0-9_]*)"'
    assert {name for name in re.findall(pattern, settings) if f"`{name}`" not in table} == set()


def test_the_readmes_page_cache_block_is_deploy_nginx_conf():
    """Every directive the README shows for the public pages' cache is in the deployed file."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Public pages from the cache", 1)[1]
    block = section.split("```nginx", 1)[1].split("```", 1)[0]
    conf = (DEPLOY / "nginx.conf").read_text()
    lines = [line.strip() for line in block.splitlines()]
    directives = [line for line in lines if line and not line.startswith("#") and line != "..."]
    assert len(directives) > 10
    for line in directives:
        if line not in ("server {", "}", "# ..."):
            assert line in conf, line


def test_nginx_answers_by_itself_with_the_sites_own_pages():
    """A body above client_max_body_size and a web server that does not answer get the pages
    `manage.py build_error_pages` writes into STATIC_ROOT/errors/ at each release."""
    from rentcenter.management.commands.build_error_pages import PAGES

    conf = (DEPLOY / "nginx.conf").read_text()
    assert "error_page 413 /errors/413.html;" in conf
    assert "error_page 502 504 =503 /errors/503.html;" in conf
    assert {"413.html", "503.html"} == set(PAGES)
    errors = conf.split("location ^~ /errors/ {", 1)[1].split("}", 1)[0]
    assert "internal;" in errors
    assert "alias /srv/rentcenter/var/static/errors/;" in errors  # VAR_DIR/static = STATIC_ROOT
    assert "proxy_next_upstream error timeout;" in conf


def test_the_upstream_file_names_the_web_service_at_the_port_it_serves(compose):
    """deploy/nginx-upstream.conf is the one line make stack-test replaces: the compose
    service and the port gunicorn binds there."""
    from tests.stack.layout import read_upstream

    upstream = read_upstream((DEPLOY / "nginx-upstream.conf").read_text())
    web = compose["services"][upstream.service]
    assert str(upstream.port) in web["expose"]
    assert environment_of(web)["GUNICORN_BIND"] == f"0.0.0.0:{upstream.port}"
    assert "include nginx-upstream.conf;" in (DEPLOY / "nginx.conf").read_text()
    assert (
        "./nginx-upstream.conf:/etc/nginx/nginx-upstream.conf:ro"
        in (compose["services"]["nginx"]["volumes"])
    )


def test_the_stack_test_reads_its_layout_from_the_compose_file(compose, tmp_path):
    """make stack-test runs what the compose file says (tests/stack/layout.py), with only the
    addresses, the upstream file and the certificate its own."""
    from tests.stack.layout import describe

    assert new_env(tmp_path, "--domain", "zl.example.cn").returncode == 0
    layout = describe(compose, work=tmp_path / "work", env_files=tmp_path, domain="zl.example.cn")
    names = [container.name for container in layout.containers]
    assert names.index("db-1") < names.index("release-1") < names.index("web-1")
    assert names.index("web-2") < names.index("nginx-1")
    # Started together as compose starts them: the web servers and the worker after the
    # release job, nginx once the web servers are healthy.
    wave = {container.service: container.wave for container in layout.containers}
    assert wave["db"] == wave["redis"] < wave["release"] < wave["web"] == wave["worker"]
    assert wave["web"] < wave["nginx"]
    assert [c.address for c in layout.of("web")] == ["127.0.0.2", "127.0.0.3"]
    assert layout.upstream_conf == "server 127.0.0.2:8000;\nserver 127.0.0.3:8000;\n"
    web = layout.of("web")[1]
    assert web.command == tuple(compose["services"]["web"]["command"])
    expected = {
        **env_file(tmp_path / "rentcenter.env"),
        **environment_of(compose["services"]["web"]),
    }
    assert web.environment == {**expected, "GUNICORN_BIND": "127.0.0.3:8000"}
    assert layout.of("release")[0].one_off
    assert layout.of("redis")[0].command == tuple(compose["services"]["redis"]["command"])
    assert layout.mounts["/etc/nginx/nginx.conf"] == DEPLOY / "nginx.conf"
    assert layout.mounts["/etc/nginx/nginx-upstream.conf"] == tmp_path / "work/nginx-upstream.conf"
    assert layout.mounts["/etc/nginx/certs"] == tmp_path / "work/certs"
    assert layout.mounts["/srv/rentcenter/var"] == tmp_path / "work/volumes/var"
    hosts = layout.hosts.splitlines()
    assert "127.0.0.1 localhost zl.example.cn" in hosts
    assert {"127.0.0.2 web", "127.0.0.3 web"} <= set(hosts)
    # Every other service by its name, at an address of its own.
    addresses = {line.split()[1]: line.split()[0] for line in hosts[1:]}
    assert set(addresses) == set(compose["services"])
    assert len({addresses[name] for name in addresses if name != "web"}) == len(addresses) - 1


# ALLOW_LOCAL_CACHE with several workers (issue 17, finding 8) ------------------------------------


def gunicorn_config(monkeypatch, **env: str):
    import importlib.util

    for name in ("ALLOW_LOCAL_CACHE", "REDIS_URL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", DEPLOY / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeServer:
    def __init__(self, workers: int) -> None:
        self.cfg = type("Config", (), {"workers": workers})()
        self.warnings: list[str] = []
        self.log = self

    def warning(self, message: str, *args) -> None:
        self.warnings.append(message % args if args else message)


def test_gunicorn_warns_at_start_when_several_workers_keep_their_own_cache(monkeypatch):
    config = gunicorn_config(monkeypatch, ALLOW_LOCAL_CACHE="1")
    server = FakeServer(workers=5)

    config.on_starting(server)

    assert len(server.warnings) == 1
    assert "ALLOW_LOCAL_CACHE" in server.warnings[0]
    assert "5 worker processes" in server.warnings[0]


@pytest.mark.parametrize(
    ("env", "workers"),
    [
        ({"ALLOW_LOCAL_CACHE": "1"}, 1),
        ({"ALLOW_LOCAL_CACHE": "1", "REDIS_URL": "redis://cache:6379/0"}, 5),
        ({}, 5),
        ({"ALLOW_LOCAL_CACHE": "0"}, 5),
    ],
)
def test_gunicorn_says_nothing_otherwise(monkeypatch, env, workers):
    config = gunicorn_config(monkeypatch, **env)
    server = FakeServer(workers=workers)

    config.on_starting(server)

    assert server.warnings == []


def test_check_deploy_warns_about_the_local_cache(tmp_path):
    from tests.rentcenter.test_settings import readme_production_environment

    environment = readme_production_environment()
    del environment["REDIS_URL"]
    del environment["TASKS_REDIS_URL"]
    environment["TASKS_BACKEND"] = "database"
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy')"
    one = run_settings(tmp_path, code, **environment, ALLOW_LOCAL_CACHE="1", WEB_CONCURRENCY="1")
    several = run_settings(tmp_path, code, **environment, ALLOW_LOCAL_CACHE="1")

    assert "rentcenter.W003" not in one.stderr + one.stdout
    assert "rentcenter.W003" in several.stderr + several.stdout
    assert "WEB_CONCURRENCY" in several.stderr + several.stdout
