"""The accessibility gate (issue 12): axe-core finds no WCAG 2.0/2.1 A or AA violation on any
page of the browser journeys, at phone and desktop width, in the normal display and in
长辈模式, admin included. axe is evaluated in the page (tests/browser/axe.py), the site's
Content-Security-Policy untouched."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from accounts import consent
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
    first_time = make_user(consented=False)
    consent.record(user=first_time, kinds=[consent.Kind.RULES], address=None)
    return {
        "anonymous": [
            "/",
            reverse("plans:announcement", args=[plan.pk]),
            catalog.project.get_absolute_url(),
            catalog.floor_plan.get_absolute_url(),
            reverse("accounts:login"),
            reverse("accounts:register"),
            reverse("admin:login"),
            reverse("privacy:rules"),
            reverse("privacy:closed"),
        ],
        "new": [reverse("accounts:profile")],  # 实名 form
        "first-time": [reverse("accounts:profile")],  # the separate consent before 实名
        "unconsented": [reverse("accounts:consent")],  # asked to agree to the rules
        "applicant": [
            reverse("accounts:profile"),
            reverse("applications:fill", args=[plan.pk]),
            reverse("applications:info", args=[plan.pk]),
            reverse("applications:register", args=[other_plan.pk]),
            reverse("applications:records"),
            reverse("applications:record", args=[registration.number]),
            reverse("accounts:access_events"),
            reverse("privacy:export"),
            reverse("privacy:close"),  # refused: the registration's window is open
        ],
        "staff": [
            reverse("admin:index"),
            reverse("admin:plans_plan_changelist"),
            reverse("admin:plans_plan_change", args=[plan.pk]),
            reverse("admin:applications_registration_changelist"),
            reverse("admin:applications_registration_change", args=[registration.pk]),
            reverse("admin:applications_registration_id_number", args=[registration.pk]),
            reverse("admin:accounts_accessevent_changelist"),
        ],
        "_users": {
            "new": make_user(),
            "first-time": first_time,
            "unconsented": make_user(consented=False),
            "applicant": applicant,
            "staff": make_staff(superuser=True),
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
    assert len(checked) == 28
