"""The opening minutes, as Locust users (run by `make loadtest`, benchmarks/loadtest.py).

- HealthzUser asks for /healthz only: the yardstick every figure is divided by, measured by the
  same tool, on the same machine, in the same run.
- Registrant is an applicant prepared by `manage.py seed_load`, signed in: 立即登记 (the form),
  确认登记 (the POST), 登记成功, then 配租记录 (LOADTEST_FLOW=post: the POST alone); one in
  ten presses 确认登记 twice. Each takes the next unused applicant and leaves when none is left.
- Browser is an anonymous visitor reading home → 配租公告 → 项目详情 → 户型详情 with think time.

With think time, a browser thinks after each of its four pages, a registrant after each of its
three (the form, 登记成功, 配租记录: the POST's redirect is followed at once), so a registrant
finishes a flow in 3/4 of a browser's time. The weights 28 : 9 make the flows 70 % browsing and
30 % registering, the ratio benchmarks/sizing.py assumes: (28 / 4) : (9 / 3) = 7 : 3.

The applicants file (LOADTEST_APPLICANTS) names the open plan, its projects and the sessions.
"""

import json
import os
import random
import string
from itertools import count

import gevent
from locust import FastHttpUser, between, constant, events, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ["LOADTEST_APPLICANTS"], encoding="utf-8").read())  # noqa: SIM115
PLAN = DATA["plan"]
OFFERINGS = DATA["offerings"]
COOKIE = DATA["session_cookie"]
_next_applicant = count()
CSRF_CHARS = string.ascii_letters + string.digits
# Think time, in seconds (0 for a throughput measurement), and whether a registrant walks the
# whole flow or only presses 确认登记 (the measurement of registration itself).
THINK = float(os.environ.get("LOADTEST_THINK", "1"))
FULL_FLOW = os.environ.get("LOADTEST_FLOW", "full") == "full"


def next_session() -> str | None:
    index = next(_next_applicant)
    return DATA["sessions"][index] if index < len(DATA["sessions"]) else None


class HealthzUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="/healthz")


class Registrant(FastHttpUser):
    weight = 9
    wait_time = between(0.5 * THINK, 1.5 * THINK)

    def on_start(self) -> None:
        self.session = next_session()

    @task
    def register(self) -> None:
        if self.session is None:
            raise StopUser  # every prepared applicant has registered
        # The CSRF cookie a browser would hold, and the same secret in the form (Django takes
        # the unmasked 32-character secret as a form token).
        secret = "".join(random.choices(CSRF_CHARS, k=32))
        headers = {"Cookie": f"{COOKIE}={self.session}; csrftoken={secret}"}
        offering = random.choice(OFFERINGS)
        url = f"/plans/{PLAN}/register/"
        if FULL_FLOW:
            self.open_the_form(url, offering, headers)
            self.wait()  # reading the form
        self.confirm(url, offering, secret, headers)
        self.client.cookiejar.clear()
        self.session = next_session()

    def open_the_form(self, url: str, offering: dict, headers: dict) -> None:
        with self.client.get(
            f"{url}?project={offering['project']}",
            headers=headers,
            name="立即登记",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "csrfmiddlewaretoken" not in (response.text or ""):
                response.failure(f"no form ({response.status_code})")

    def confirm(self, url: str, offering: dict, secret: str, headers: dict) -> None:
        data = {"csrfmiddlewaretoken": secret, "offering": str(offering["id"])}
        presses = 2 if random.random() < 0.1 else 1
        for press in range(presses):
            with self.client.post(
                url,
                data=data,
                headers=headers,
                name="确认登记" if press == 0 else "确认登记（再按一次）",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                location = response.headers.get("Location", "")
                expected = "/registered/" if press == 0 else "/records/"
                if response.status_code != 302 or expected not in location:
                    response.failure(f"{response.status_code} → {location or 'no redirect'}")
                    return
        if FULL_FLOW:
            self.client.get(location, headers=headers, name="登记成功 / 配租记录")
            self.wait()
            self.client.get("/records/", headers=headers, name="配租记录")


@events.test_start.add_listener
def _quit_when_everyone_has_left(environment, **kwargs) -> None:
    """Registrants leave when no applicant is left; the run ends when the last one has."""

    def watch() -> None:
        runner = environment.runner
        while runner.state not in ("spawning", "running"):
            gevent.sleep(0.2)
        # Only when they left by themselves: at the end of the run time Locust stops them, and
        # lets each finish its flow (--stop-timeout).
        while runner.state in ("spawning", "running"):
            if runner.state == "running" and runner.user_count == 0:
                runner.quit()
                return
            gevent.sleep(0.5)

    gevent.spawn(watch)


class Browser(FastHttpUser):
    weight = 28
    wait_time = between(0.5 * THINK, 1.5 * THINK)

    @task
    def browse(self) -> None:
        self.client.get("/", name="首页")
        self.wait()
        self.client.get(f"/plans/{PLAN}/announcement/", name="配租公告")
        self.wait()
        project, floor_plan = random.choice(DATA["floor_plans"])
        self.client.get(f"/projects/{project}/", name="项目详情")
        self.wait()
        self.client.get(f"/projects/{project}/floorplans/{floor_plan}/", name="户型详情")
