"""`make stack-test`: the production topology of deploy/compose.yaml, through Debian's nginx
over TLS (issue 20). tests/stack/run.py starts it as tests/stack/layout.py reads it from the
compose file: nginx with deploy/nginx.conf, two gunicorn web servers (127.0.0.2, 127.0.0.3),
the RQ worker, PostgreSQL and Redis. These tests speak to it as browsers do, by its name, over
HTTPS, and look at the database, the logs and the files behind it. The last one kills a web
server, so it stays last."""

import io
import json
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from applications.documents import MAX_DOCUMENT_BYTES
from tests.stack.client import Client, Visitor, multipart_overhead
from tests.stack.conftest import DOMAIN
from tests.stack.layout import DEPLOY, ROOT
from tests.stack.run import LOGS, VENV_BIN

HSTS = "max-age=31536000; includeSubDomains; preload"
VAR = Path("/srv/rentcenter/var")  # the `var` volume, where the compose file mounts it
PAGE_CACHE = Path("/var/cache/nginx/rentcenter")
# README, "Public pages from the cache": how to empty nginx's copies at once.
PURGE = "find /var/cache/nginx/rentcenter -type f -delete"


@pytest.fixture(scope="module")
def site(stack) -> Client:
    return Client(DOMAIN, stack.ca_file)


def requests_served(name: str) -> list[tuple[str, str, int]]:
    """(method, path, status) of every request a web server logged (LOG_FORMAT=json)."""
    served = []
    for line in (LOGS / f"{name}.log").read_text(errors="replace").splitlines():
        if line.startswith("{") and '"rentcenter.requests"' in line:
            entry = json.loads(line)
            served.append((entry["method"], entry["path"], entry["status"]))
    return served


def web_servers(stack) -> list[str]:
    return [container.name for container in stack.layout.of(stack.layout.upstream.service)]


def body_limit() -> int:
    """nginx's client_max_body_size, in bytes, as deploy/nginx.conf says."""
    value, unit = re.search(
        r"client_max_body_size\s+(\d+)([kKmMgG]?);", (DEPLOY / "nginx.conf").read_text()
    ).groups()
    return int(value) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def jpeg_of(size: int) -> bytes:
    """A valid JPEG photo of exactly `size` bytes: a picture, then comment segments (COM, at
    most 65,537 bytes each with their marker and length) to make up the rest."""
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 196, 210)).save(buffer, "JPEG", quality=90)
    picture = buffer.getvalue()
    missing = size - len(picture)
    count = -(-missing // 65_537)
    sizes = [missing // count + (1 if i < missing % count else 0) for i in range(count)]
    comments = b"".join(
        b"\xff\xfe" + (total - 2).to_bytes(2, "big") + b" " * (total - 4) for total in sizes
    )
    jpeg = picture[:2] + comments + picture[2:]
    assert len(jpeg) == size
    return jpeg


def test_nginx_checks_and_runs_the_deployed_file(stack):
    assert "syntax is ok" in stack.nginx_test
    assert "test is successful" in stack.nginx_test
    assert Path("/etc/nginx/nginx.conf").read_bytes() == (DEPLOY / "nginx.conf").read_bytes()
    # The one file that differs: the two gunicorn servers instead of Docker's name for them.
    upstream = Path("/etc/nginx/nginx-upstream.conf").read_text()
    assert upstream == "server 127.0.0.2:8000;\nserver 127.0.0.3:8000;\n"
    assert stack.layout.upstream_addresses() == ["127.0.0.2:8000", "127.0.0.3:8000"]
    for address in stack.layout.upstream_addresses():
        with urllib.request.urlopen(f"http://{address}/healthz", timeout=5) as answer:
            assert answer.status == 200
    assert set(stack.running()) == {container.name for container in stack.layout.containers} - {
        container.name for container in stack.layout.containers if container.one_off
    }


def test_plain_http_is_sent_to_https_which_says_hsts(site, stack, seeded):
    plan = seeded["plan"]
    answer = site.request("GET", f"/plans/{plan}/announcement/?from=sms", https=False)
    assert answer.status == 301
    assert answer.header("Location") == f"https://{DOMAIN}/plans/{plan}/announcement/?from=sms"
    page = site.get("/")
    assert page.status == 200
    assert page.header("Strict-Transport-Security") == HSTS
    # TLS 1.2 or 1.3 with the operator's certificate, HTTP/2 offered to browsers.
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((DOMAIN, 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=DOMAIN) as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.3", "TLSv1.2")


def test_pages_through_nginx(site, stack, seeded):
    plan = seeded["plan"]
    project, floor_plan = seeded["floor_plans"][0]
    public = {
        "/": "专项配租计划",
        f"/plans/{plan}/announcement/": "配租公告",
        f"/projects/{project}/": "已登记人数",
        f"/projects/{project}/floorplans/{floor_plan}/": "房型租金",
    }
    for path, words in public.items():
        page = site.get(path)
        assert page.status == 200, path
        assert words in page.text, path
        assert page.header("Strict-Transport-Security") == HSTS, path
        assert "script-src 'self'" in page.header("Content-Security-Policy"), path
        assert re.fullmatch(r"[0-9a-f]{32}", page.header("X-Request-ID")), path
        assert re.fullmatch(
            r"public, max-age=0, must-revalidate, s-maxage=[0-5]", page.header("Cache-Control")
        ), path
        # A browser showing the page again asks with its ETag: nginx answers 304 from its copy.
        again = site.get(path, **{"If-None-Match": page.header("ETag")})
        assert (again.status, again.body) == (304, b""), path
    login = site.get("/accounts/login/")
    assert login.status == 200
    assert "数字验证码" in login.text
    # 长辈模式 is a copy of its own in nginx's cache too.
    elder = site.get("/", Cookie="elder=1")
    assert '<html lang="zh-CN" class="elder">' in elder.text
    assert 'class="elder"' not in site.get("/").text


def test_nginx_keeps_public_pages_for_seconds(site, stack):
    def upstream_home_requests() -> int:
        return sum(
            served[:2] == ("GET", "/")
            for name in web_servers(stack)
            for served in requests_served(name)
        )

    site.get("/")
    before = upstream_home_requests()
    started = time.monotonic()
    answers = [site.get("/") for _ in range(30)]
    seconds = time.monotonic() - started
    assert {answer.status for answer in answers} == {200}
    # At most one revalidation per s-maxage (5 s) reached a web server.
    assert upstream_home_requests() - before <= 1 + int(seconds // 5)
    # Each answer names its own request, as nginx's log does, not the one that filled the copy.
    request_ids = [answer.header("X-Request-ID") for answer in answers]
    assert len(set(request_ids)) == len(answers)


def test_static_files_from_nginx_with_long_cache_headers(site, stack):
    home = site.get("/").text
    style = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home).group(1)
    before = [requests_served(name) for name in web_servers(stack)]
    answer = site.get(style, **{"Accept-Encoding": "gzip"})
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/css"
    assert answer.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert answer.header("Content-Encoding") == "gzip"  # WhiteNoise's .gz beside the file
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("Strict-Transport-Security") == HSTS
    plain = site.get(style)  # a client that takes no gzip gets the file itself
    assert (plain.status, plain.header("Content-Encoding")) == (200, "")
    assert plain.header("Cache-Control") == "public, max-age=31536000, immutable"
    # Served by nginx from the volume: no web server saw it.
    assert [requests_served(name) for name in web_servers(stack)] == before


def test_media_with_nosniff_and_the_sandbox(site, seeded):
    project = seeded["floor_plans"][0][0]
    photo = re.search(r"(/media/[\w/.-]+\.jpg)", site.get(f"/projects/{project}/").text).group(1)
    answer = site.get(photo)
    assert answer.status == 200, photo
    assert answer.header("Content-Type") == "image/jpeg"
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("Content-Security-Policy") == "default-src 'none'; sandbox"
    assert answer.header("Content-Disposition") == ""
    assert answer.header("Strict-Transport-Security") == HSTS
    announcement = site.get(f"/plans/{seeded['plan']}/announcement/").text
    notice = re.search(r"(/media/[\w/.-]+\.pdf)", announcement).group(1)
    pdf = site.get(notice)
    assert (pdf.status, pdf.header("Content-Type")) == (200, "application/pdf"), notice
    assert pdf.header("Content-Security-Policy") == "sandbox"
    # A file of any other kind (stored before these rules) is only ever a download.
    legacy = VAR / "media" / "legacy" / "notice.html"
    legacy.parent.mkdir(exist_ok=True)
    legacy.write_text("<script>alert(1)</script>")
    legacy.chmod(0o644)
    download = site.get("/media/legacy/notice.html")
    assert download.status == 200
    assert download.header("Content-Type") == "application/octet-stream"
    assert download.header("Content-Disposition") == "attachment"
    # Private files have no address.
    (VAR / "private").mkdir(exist_ok=True)
    (VAR / "private" / "secret.txt").write_text("身份证")
    for path in ("/private/secret.txt", "/media/../private/secret.txt"):
        assert site.get(path).status == 404, path


def test_an_upload_at_the_limits_is_taken_and_one_above_gets_the_sites_page(site, seeded):
    applicant = Visitor(site, (seeded["session_cookie"], seeded["sessions"][0]))
    upload = f"/plans/{seeded['plan']}/info/documents/"
    fields = {"kind": "id_front"}
    # A photo of the largest size a document may have: stored.
    taken = applicant.post_files(
        upload, fields, {"upload_id_front": ("id-front.jpg", jpeg_of(MAX_DOCUMENT_BYTES))},
        **{"HX-Request": "true"},
    )  # fmt: skip
    assert taken.status == 200
    assert "id-front.jpg" in taken.text
    assert "field__error" not in taken.text
    # A request as large as nginx takes reaches the site, which answers beside the field.
    limit = body_limit()
    filler = limit - multipart_overhead(fields, "upload_id_front", "big.jpg")
    at_limit = applicant.post_files(
        upload, fields, {"upload_id_front": ("big.jpg", b"\xff" * filler)},
        **{"HX-Request": "true"},
    )  # fmt: skip
    assert at_limit.status == 200
    assert "单个文件不能超过" in at_limit.text
    # One byte more: nginx refuses it, with the site's own page in Chinese.
    above = applicant.post_files(
        upload, fields, {"upload_id_front": ("big.jpg", b"\xff" * (filler + 1))},
        **{"HX-Request": "true"},
    )  # fmt: skip
    assert above.status == 413
    assert "上传的文件太大" in above.text
    assert "nginx" not in above.text.lower()
    assert above.header("Content-Type").startswith("text/html")
    assert above.header("Cache-Control") == "no-store"


def test_x_forwarded_for_is_believed_from_nginx_only(stack, site):
    """A guesser cannot dodge the staff login's lock on (account, address) by making up
    X-Forwarded-For: the address the limits use is the one nginx saw (the client here sends from
    127.0.0.9), so five wrong passwords for one account with five made-up addresses lock it."""
    stack.manage(
        "shell", "-c",
        "from accounts.models import User; "
        "User.objects.create_user('+8613800000077', 'stack-test-pass-2026', is_staff=True)",
    )  # fmt: skip
    guesser = Visitor(Client(DOMAIN, stack.ca_file, source="127.0.0.9"))
    guesses = [
        guesser.post_form(
            "/admin/login/", {"username": "13800000077", "password": f"guess-{n}"},
            **{"X-Forwarded-For": f"10.0.0.{n}, 203.0.113.{n}"},  # a new address each time
        )
        for n in range(5)
    ]  # fmt: skip
    # The fifth wrong password locks the address nginx saw, whatever the header said.
    assert [answer.status for answer in guesses] == [200, 200, 200, 200, 429]
    locked = guesser.post_form(
        "/admin/login/", {"username": "13800000077", "password": "stack-test-pass-2026"},
        **{"X-Forwarded-For": "198.51.100.20"},
    )  # fmt: skip
    assert locked.status == 429
    with stack.connect() as connection:
        addresses = connection.execute("SELECT ip_address FROM axes_accessfailurelog").fetchall()
    assert {str(address) for (address,) in addresses} == {"127.0.0.9"}
    # The same account from another address is not locked: the address was the lock.
    elsewhere = Visitor(Client(DOMAIN, stack.ca_file, source="127.0.0.8"))
    answer = elsewhere.post_form(
        "/admin/login/", {"username": "13800000077", "password": "stack-test-pass-2026"}
    )
    assert answer.status == 302


def test_a_staff_edit_reaches_visitors_through_nginx_within_seconds(stack, site, seeded):
    plan = seeded["plan"]
    editor = subprocess.Popen(  # noqa: S603 - the project's manage.py shell, as staff's edit
        [
            str(VENV_BIN / "python"),
            "manage.py", "shell", "--no-imports", "-c",
            "import sys\n"
            "from plans.models import Plan\n"
            f"plan = Plan.objects.get(pk={plan})\n"
            "print('ready', flush=True)\n"
            "for line in sys.stdin:\n"
            "    plan.title = line.strip()\n"
            "    plan.save()\n"
            "    print('saved', flush=True)\n",
        ],
        env=stack.app_environment(stack.job_container()), cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip

    def save_title(title: str) -> float:
        editor.stdin.write(title + "\n")
        editor.stdin.flush()
        assert editor.stdout.readline().strip() == "saved"
        return time.monotonic()

    try:
        assert editor.stdout.readline().strip() == "ready"
        kept = site.get("/")
        kept_at = time.monotonic()
        shared = int(kept.header("Cache-Control").rsplit("=", 1)[1])
        first = "2026年第一批保障性租赁住房专项配租计划（登记时间更正）"
        saved_at = save_title(first)
        stale = site.get("/")
        if time.monotonic() - kept_at < shared - 1:
            assert first not in stale.text  # nginx still answers with its copy
        # On publishing an urgent correction, the README's purge empties nginx's copies at
        # once (after the web servers' one second of memory, rentcenter/pagecache.py).
        time.sleep(max(0.0, saved_at + 1.1 - time.monotonic()))
        subprocess.run(PURGE.split(), check=True)  # noqa: S603
        assert first in site.get("/").text
        # Without a purge, every visitor sees an edit within s-maxage and a second.
        second = "2026年第一批保障性租赁住房专项配租计划（地点更正）"
        saved_at = save_title(second)
        while second not in site.get("/").text:
            # nginx's copy is at most s-maxage old, a web process's memory a second.
            seconds = settings.PUBLIC_PAGE_SHARED_MAX_AGE + 1 + 2  # the compose file sets none
            assert time.monotonic() - saved_at < seconds, "nginx kept the old page"
            time.sleep(0.2)
    finally:
        editor.stdin.close()
        editor.wait(timeout=30)
    readme = (ROOT / "README.md").read_text()
    assert f"exec nginx {PURGE}" in readme


def test_a_registration_burst_while_a_web_server_is_killed(stack, site, seeded):
    """Applicants press 立即登记 → 确认登记 → 登记成功 while one web server is killed: every GET
    is answered (nginx tries the other server), every POST is 登记成功 or the site's 503 page,
    and the database holds exactly the registrations the answers account for."""
    plan, offerings = seeded["plan"], seeded["offerings"]
    sessions = seeded["sessions"][1:]  # the first applicant uploaded above
    victim, survivor = web_servers(stack)
    victim_address = stack.layout.upstream_addresses()[0]
    lock = threading.Lock()
    finished = 0
    outcomes: list[dict] = []

    def register(index: int, session: str) -> None:
        nonlocal finished
        applicant = Visitor(site, (seeded["session_cookie"], session))
        offering = offerings[index % len(offerings)]
        url = f"/plans/{plan}/register/"
        form = applicant.get(f"{url}?project={offering['project']}")
        posted = applicant.post_form(url, {"offering": str(offering["id"])})
        outcome = {"session": session, "form": form.status, "post": posted.status}
        if posted.status == 302:
            outcome["location"] = posted.header("Location")
            success = applicant.get(outcome["location"])
            outcome["success"] = (success.status, "登记成功" in success.text)
        else:
            outcome["page"] = "系统繁忙，请稍后再试" in posted.text
            outcome["retry_after"] = posted.header("Retry-After")
        with lock:
            outcomes.append(outcome)
            finished += 1
            kill = finished == len(sessions) // 3
        if kill:
            stack.kill(victim)

    served_before = len(requests_served(victim))
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(register, range(len(sessions)), sessions))
    assert victim not in stack.running()
    assert len(requests_served(victim)) > served_before  # it took its share before the kill
    assert any(
        path.startswith(f"/plans/{plan}/register/") for _, path, _ in requests_served(survivor)
    )
    nginx_log = (LOGS / "nginx-1.log").read_text(errors="replace")
    assert f'upstream: "http://{victim_address}' in nginx_log  # nginx met the dead server

    assert [o for o in outcomes if o["form"] != 200] == []
    successes = [o for o in outcomes if o["post"] == 302]
    unavailable = [o for o in outcomes if o["post"] != 302]
    assert all(re.fullmatch(r"/records/\w+/registered/", o["location"]) for o in successes)
    assert all(o["success"] == (200, True) for o in successes)
    assert all((o["post"], o["page"], o["retry_after"]) == (503, True, "30") for o in unavailable)

    numbers = {o["location"].split("/")[2] for o in successes}
    # The 503 page says a registration may have gone through and to look in 配租记录: what
    # those applicants find there is the rest of what the database may hold.
    found = set()
    for outcome in unavailable:
        records = Visitor(site, (seeded["session_cookie"], outcome["session"])).get("/records/")
        assert records.status == 200
        found |= set(re.findall(r"/records/(\w+)/", records.text))
    with stack.connect() as connection:
        registered = {
            number
            for (number,) in connection.execute(
                "SELECT r.number FROM applications_registration r "
                "JOIN accounts_user u ON u.id = r.applicant_id "
                "WHERE r.plan_id = %s AND u.phone LIKE '+86136%%' AND r.progress <> 'cancelled'",
                [plan],
            )
        }
    assert numbers.isdisjoint(found)
    assert registered == numbers | found
    stack.notes.append(
        f"burst: {len(outcomes)} applicants, {len(successes)} 登记成功, {len(unavailable)} "
        f"answered the 503 page ({len(found)} of them registered all the same, as 配租记录 "
        f"shows them), {web_servers(stack)[0]} killed after {len(sessions) // 3}"
    )

    # Each registration's 登记成功 text leaves through the RQ worker, once.
    with stack.connect() as connection:
        for _ in range(120):
            pending = connection.execute(
                "SELECT count(*) FROM messaging_outboxmessage WHERE status = 'pending'"
            ).fetchone()[0]
            if not pending:
                break
            time.sleep(1)
    assert pending == 0
    texts = (VAR / "sms.jsonl").read_text().splitlines()
    sent = [re.search(r"登记编号 (\w+)", line) for line in texts if "您已成功登记" in line]
    assert sorted(match.group(1) for match in sent if match and match.group(1) in registered) == (
        sorted(registered)
    )
