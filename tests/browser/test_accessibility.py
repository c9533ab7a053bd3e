"""The accessibility gate (issue 12): axe-core finds no WCAG 2.0/2.1 A or AA violation on any
page of the browser journeys, at phone and desktop width, in the normal display and in
长辈模式, admin included. axe is evaluated in the page (tests/browser/axe.py), the site's
Content-Security-Policy untouched."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from accounts import consent
from applications.registration import register
from messaging.models import OutboxMessage
from plans.models import Plan
from rentcenter.display import ELDER_COOKIE
from tests.browser.accounts_steps import log_in_as
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_catalog import make_catalog
from tests.factories import (
    make_announcement,
    make_applicant,
    make_info,
    make_plan,
    make_staff,
    make_user,
)

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
    rejected, aged_plan, member_position = rejected_applicant_of_41(catalog)
    # Issue 16's staff pages: a 公告 whose text contradicts its plan (the warning beside it),
    # 数据看板, 短信发送记录 with a failed text, an app's page, and 摇号结果's 怎样保证公平.
    announcement = make_announcement(plan, body="## 申请条件\n\n- 申请人须年满18周岁")
    OutboxMessage.objects.create(
        phone="+8613912345678",
        text="您登记的计划审核通过。",
        kind=OutboxMessage.Kind.DECISION,
        status=OutboxMessage.Status.FAILED,
        attempts=8,
        error="gateway unreachable: timed out",
    )
    closed = Plan.objects.get(status=Plan.Status.CLOSED)
    first_time = make_user(consented=False)
    consent.record(user=first_time, kinds=[consent.Kind.RULES], address=None)
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
            reverse("applications:verify", args=[rejected["registration"].verification_code]),
            reverse("lottery:result", args=[closed.pk]),
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
            catalog.project.get_absolute_url(),  # 已登记 where 立即登记 was
            reverse("accounts:access_events"),
            reverse("privacy:export"),
            reverse("privacy:close"),  # refused: the registration's window is open
        ],
        # Issue 16: told the age rule before the form, and which document to fix.
        "rejected": [
            "/",
            reverse("accounts:profile"),
            reverse("applications:fill", args=[plan.pk]),
            reverse("applications:fill", args=[aged_plan.pk]),
            reverse("applications:submitted", args=[aged_plan.pk, rejected["aged_info"].reference]),
            reverse("applications:record", args=[rejected["registration"].number]),
            reverse("applications:confirm_remove_member", args=[plan.pk, member_position]),
        ],
        "staff": [
            reverse("admin:index"),
            reverse("admin:plans_plan_changelist"),
            reverse("admin:plans_plan_change", args=[plan.pk]),
            reverse("admin:applications_registration_changelist"),
            reverse("admin:applications_registration_change", args=[registration.pk]),
            reverse("admin:plans_announcement_change", args=[announcement.pk]),
            reverse("admin:plans_announcement_add") + f"?plan={plan.pk}",
            reverse("admin:plans_plan_dashboard", args=[plan.pk]),
            reverse("admin:messaging_outboxmessage_changelist"),
            reverse("admin:app_list", args=["lottery"]),
            reverse("admin:applications_registration_id_number", args=[registration.pk]),
            reverse("admin:accounts_accessevent_changelist"),
            *allocation["staff"],
        ],
        "anonymous after the draw": allocation["anonymous"],
        "choosing": allocation["choosing"],
        "chosen": allocation["chosen"],
        "_users": {
            "new": make_user(),
            "first-time": first_time,
            "unconsented": make_user(consented=False),
            "applicant": applicant,
            "rejected": rejected["applicant"],
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


def rejected_applicant_of_41(catalog) -> tuple[dict, object, int]:
    """A 41-year-old whose registration was rejected with a note on one document, who has a
    draft with a family member for the catalogue's plan and a form for a plan of 18 to 35."""
    from datetime import date

    from applications import review
    from applications.models import ApplicationDraft, DocumentCheck
    from tests.factories import id_number_for

    person = make_applicant(name="周建国", birth=date(1985, 1, 1), phone="+8613912345679")
    plan = catalog.plan
    make_info(person, plan)
    registration = register(
        applicant=person, plan=plan, offering=plan.plan_projects.first()
    ).registration
    reviewer = make_staff(group="资格审核员")
    review.decide(registration, decision="start_review", by=reviewer)
    DocumentCheck.objects.create(
        registration=registration,
        document=registration.info.documents.get(kind="contributions"),
        verdict=DocumentCheck.Verdict.MISMATCH,
        note="社保缴纳证明照片模糊，看不清缴费月份",
        checked_by=reviewer,
    )
    review.decide(registration, decision="reject", by=reviewer, reason="提交材料与填报信息不符")
    from rentcenter import crypto

    spouse = id_number_for(date(1986, 3, 8), sequence=7, female=True)
    draft = ApplicationDraft.objects.create(
        applicant=person,
        plan=plan,
        data={
            "fields": {},
            "members": [
                {"name": "李小红", "relation": "spouse", "id_token": crypto.encrypt(spouse)}
            ],
        },
    )
    draft.documents.set(registration.info.documents.all())
    aged_plan = make_plan(
        min_age=18, max_age=35, projects=[catalog.project], title="2026年第六批青年人才专项配租计划"
    )
    aged_info = make_info(person, aged_plan)
    return {"applicant": person, "registration": registration, "aged_info": aged_info}, aged_plan, 0


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
    assert len(checked) == 43 + 15  # the journeys', then after the draw
