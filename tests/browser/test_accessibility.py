"""The accessibility gate (issue 12): axe-core finds no WCAG 2.0/2.1 A or AA violation on any
page of the browser journeys, at phone and desktop width, in the normal display and in
长辈模式, admin included. axe is evaluated in the page (tests/browser/axe.py), the site's
Content-Security-Policy untouched."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from applications.registration import register
from rentcenter.display import ELDER_COOKIE
from tests.browser.accounts_steps import log_in_as
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_catalog import make_catalog
from tests.factories import make_applicant, make_info, make_plan, make_staff, make_user

VARIANTS = {
    "phone": (PHONE, False),
    "desktop": (DESKTOP, False),
    "elder-phone": (PHONE, True),
    "elder-desktop": (DESKTOP, True),
}


def journey_pages() -> dict[str, list[str]]:
    """Every page the journeys walk, by who sees them: anyone, an applicant without 实名, an
    applicant with a registration, and staff."""
    catalog = make_catalog()
    plan = catalog.plan
    applicant = make_applicant(name="王小明", phone="+8613912345678")
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.first()
    ).registration
    other_plan = make_plan(
        projects=[catalog.project], title="2026年第五批保障性租赁住房专项配租计划"
    )
    make_info(applicant, other_plan)
    allocation = allocation_pages()
    return {
        "anonymous": [
            "/",
            reverse("plans:announcement", args=[plan.pk]),
            catalog.project.get_absolute_url(),
            catalog.floor_plan.get_absolute_url(),
            reverse("accounts:login"),
            reverse("accounts:register"),
            reverse("admin:login"),
        ],
        "new": [reverse("accounts:profile")],  # 实名 form
        "applicant": [
            reverse("accounts:profile"),
            reverse("applications:fill", args=[plan.pk]),
            reverse("applications:info", args=[plan.pk]),
            reverse("applications:register", args=[other_plan.pk]),
            reverse("applications:records"),
            reverse("applications:record", args=[registration.number]),
        ],
        "staff": [
            reverse("admin:index"),
            reverse("admin:plans_plan_changelist"),
            reverse("admin:plans_plan_change", args=[plan.pk]),
            reverse("admin:applications_registration_changelist"),
            reverse("admin:applications_registration_change", args=[registration.pk]),
            *allocation["staff"],
        ],
        "anonymous after the draw": allocation["anonymous"],
        "choosing": allocation["choosing"],
        "chosen": allocation["chosen"],
        "_users": {
            "new": make_user(),
            "applicant": applicant,
            "staff": make_staff(superuser=True),
            "choosing": allocation["users"]["choosing"],
            "chosen": allocation["users"]["chosen"],
        },
    }


def allocation_pages() -> dict:
    """After the draw (issue 19): the 选房大厅, its screen, 选房结果 and a 确认书's check for
    anyone; the turn page with its homes, 确认选房 and 放弃选房 for the entrant choosing; the
    chosen home with 预约签约; staff's 选房 pages."""
    from allocation import choosing as choosing_steps
    from allocation.models import Choice, Session
    from tests.allocation.factories import ready_session

    people = [make_applicant(name="赵敏"), make_applicant(name="钱程")]
    plan, passed, homes, _session = ready_session(entrants=2, applicants=people)
    first, second = sorted(passed, key=lambda r: r.position)
    choosing_steps.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)
    choice = Choice.objects.get()
    return {
        "anonymous": [
            reverse("allocation:hall", args=[plan.pk]),
            reverse("allocation:hall_screen", args=[plan.pk]),
            reverse("allocation:results", args=[plan.pk]),
            reverse("allocation:verify", args=[choice.verification_code]),
        ],
        "choosing": [
            reverse("allocation:turn", args=[second.registration.number]),
            reverse("allocation:choose", args=[second.registration.number, homes[1].pk]),
            reverse("allocation:give_up", args=[second.registration.number]),
        ],
        "chosen": [
            reverse("allocation:turn", args=[first.registration.number]),
            reverse("applications:record", args=[first.registration.number]),
        ],
        "staff": [
            reverse("admin:plans_plan_allocation", args=[plan.pk]),
            reverse("admin:allocation_home_import", args=[plan.plan_projects.get().pk]),
            reverse("admin:allocation_session_new", args=[plan.pk]),
            reverse("admin:allocation_recheck_change", args=[first.pk]),
            reverse("admin:allocation_choice_changelist"),
            reverse("admin:allocation_session_changelist")
            + f"?plan__id__exact={Session.objects.get().plan_id}",
        ],
        "users": {
            "choosing": second.registration.applicant,
            "chosen": first.registration.applicant,
        },
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_page_of_the_journeys_passes_axe(page: Page, variant: str) -> None:
    size, elder = VARIANTS[variant]
    pages = journey_pages()
    users = pages.pop("_users")
    page.set_viewport_size(size)
    checked = []
    for who, urls in pages.items():
        page.context.clear_cookies()
        if who in users:
            log_in_as(page, users[who])
        if elder:
            page.goto("/healthz")
            origin = page.url.rsplit("/healthz", 1)[0]
            page.context.add_cookies([{"name": ELDER_COOKIE, "value": "1", "url": origin}])
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, url
            if elder and not url.startswith("/admin/"):
                assert page.locator("html.elder").count() == 1, url
            assert_accessible(page, f"{url} ({who}, {variant})")
            checked.append(url)
    assert len(checked) == 19 + 15  # the journeys', then after the draw
