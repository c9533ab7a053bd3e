"""Staff pages read like Chinese a person wrote (issue 16): admin's own words
(locale/zh_Hans), staff named by their names, and the pages that said too little or too much."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from applications import review
from applications.models import DocumentCheck
from tests.applications.test_admin_review import change_url, registered
from tests.factories import make_applicant, make_document, make_plan, make_staff

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def wang(client) -> Client:
    """Signed in to admin as a superuser named 王芳."""
    client.force_login(make_staff(superuser=True, phone="+8613600000099", staff_name="王芳"))
    return client


def po_entries() -> list[tuple[str, str]]:
    text = CATALOGUE.read_text()
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.MULTILINE)
    return [(msgid.replace('\\"', '"'), msgstr) for msgid, msgstr in pairs]


@pytest.mark.parametrize(("msgid", "msgstr"), po_entries())
def test_the_compiled_catalogue_says_what_the_po_file_says(msgid, msgstr):
    """The .mo beside the .po is what Django reads: recompile it after editing (see the .po)."""
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == msgstr


def test_filters_read_按_not_以(wang):
    registered()
    registered()  # two plans: the plan filter shows when there is a choice
    page = wang.get(reverse("admin:applications_registration_changelist"))

    assertContains(page, "按配租计划")
    assertContains(page, "按目前进度")
    assertNotContains(page, "以 ")


def test_an_apps_page_is_titled_once(wang):
    page = wang.get(reverse("admin:app_list", args=["lottery"]))

    assertContains(page, "<h1>摇号管理</h1>", html=True)
    assertNotContains(page, "摇号管理 管理")


def test_lists_and_forms_are_titled_in_plain_chinese(wang):
    assertContains(wang.get(reverse("admin:plans_plan_changelist")), "选择要修改的配租计划")
    assertContains(wang.get(reverse("admin:plans_plan_add")), "<h1>添加配租计划</h1>", html=True)
    assertContains(
        wang.get(reverse("admin:messaging_outboxmessage_changelist")), "选择要查看的短信"
    )


def test_the_task_queues_english_tables_are_not_in_admin(wang):
    page = wang.get(reverse("admin:index"))

    assertNotContains(page, "Tasks Database Backend", status_code=200)
    assertNotContains(page, "Task Results")
    assert wang.get("/admin/django_tasks_database/dbtaskresult/").status_code == 404


def test_the_hidden_headers_screen_readers_read_are_chinese(wang):
    page = wang.get(reverse("admin:index")).content.decode()

    header = re.search(r'<thead class="visually-hidden">(.*?)</thead>', page, re.S).group(1)
    assert re.findall(r"<th[^>]*>(.*?)</th>", header) == ["数据类别", "添加链接", "修改或查看链接"]
    assert "Model name" not in page


def test_the_search_icon_is_named_in_chinese(wang):
    page = wang.get(reverse("admin:plans_plan_changelist"))

    assertContains(page, 'alt="搜索"')
    assertNotContains(page, 'alt="Search"')


def test_the_site_name_breaks_between_its_phrases_only(client, db):
    page = client.get(reverse("admin:login"))

    assertContains(
        page,
        '<span class="phrase">保障性租赁住房</span><span class="phrase">专项配租平台 ·</span>'
        ' <span class="phrase">管理</span>',
    )


# Staff are named by their names -----------------------------------------------------------


def test_the_welcome_names_the_staff_member_not_the_phone(wang):
    page = wang.get(reverse("admin:index"))

    assertContains(page, "<strong>王芳</strong>", html=True)
    assertNotContains(page, "8613600000099")
    assertContains(page, "退出")


def test_staff_without_a_name_are_shown_by_their_masked_phone(client):
    client.force_login(make_staff(superuser=True, phone="+8613600000098"))

    page = client.get(reverse("admin:index"))

    assertContains(page, "<strong>136****0098</strong>", html=True)
    assertNotContains(page, "8613600000098")


def test_the_review_history_and_checks_name_the_reviewer(wang):
    reviewer = make_staff(group="资格审核员", phone="+8613600000097", staff_name="李强")
    registration = registered()
    review.decide(registration, decision="start_review", by=reviewer)
    document = registration.info.documents.first() or make_document(registration.applicant)
    DocumentCheck.objects.create(
        registration=registration, document=document, verdict="passed", checked_by=reviewer
    )

    page = wang.get(change_url(registration)).content.decode()

    history = page.split('id="history"', 1)[1]
    assert re.search(r"<td>李强</td>", history)
    assert "8613600000097" not in page
    assert "136****0097" not in history
    assert "李强 ·" in page.split('id="documents"', 1)[1].split('id="decision"', 1)[0]


def test_admins_change_history_names_the_staff_member(wang):
    plan = make_plan()
    wang.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "close", "_selected_action": [plan.pk], "index": "0"},
    )
    from django.contrib.admin.models import CHANGE, LogEntry

    LogEntry.objects.log_actions(
        user_id=wang.session["_auth_user_id"],
        queryset=[plan],
        action_flag=CHANGE,
        change_message="关闭",
    )

    page = wang.get(reverse("admin:plans_plan_history", args=[plan.pk]))

    assertContains(page, "<td>王芳</td>", html=True)
    assertNotContains(page, "+8613600000099")


# 数据看板 ----------------------------------------------------------------------------------


def test_the_dashboard_shows_rejections_and_the_counts_add_up(wang):
    plan = make_plan()
    kept = registered(plan=plan)
    rejected = registered(plan=plan)
    cancelled = registered(plan=plan)
    reviewer = make_staff(group="资格审核员")
    review.decide(rejected, decision="start_review", by=reviewer)
    review.decide(rejected, decision="reject", by=reviewer, reason="材料不清晰")
    cancelled.cancel(by=cancelled.applicant)
    assert kept.progress == "registered"

    page = wang.get(reverse("admin:plans_plan_dashboard", args=[plan.pk]))
    html = page.content.decode()

    stats = page.context["stats"]
    assert (stats.active, stats.rejected, stats.cancelled, stats.total) == (1, 1, 1, 3)
    assert stats.active + stats.rejected + stats.cancelled == stats.total
    assert 'id="stat-rejected">1<' in html
    assert 'id="stat-cancelled">1<' in html
    assert "= 1 + 1 + 1" in html
    assert "含已取消" not in html


# The review page ----------------------------------------------------------------------------


def test_the_decision_comes_after_the_documents_it_decides_on(wang):
    registration = registered()
    review.decide(registration, decision="start_review", by=make_staff())

    page = wang.get(change_url(registration)).content.decode()

    assert "{#" not in page
    order = [page.index(f'id="{part}"') for part in ("screening", "declared", "documents")]
    assert order == sorted(order)
    assert page.index('id="documents"') < page.index('value="approve"')
    assert page.index('id="documents"') < page.index('value="reject"')


def test_starting_the_review_comes_before_the_documents(wang):
    registration = registered()

    page = wang.get(change_url(registration)).content.decode()

    assert page.index('value="start_review"') < page.index('id="documents"')
    assert page.count('value="start_review"') == 1
    assert 'value="approve"' not in page


def test_an_applicant_without_a_staff_name_is_shown_as_before():
    applicant = make_applicant(phone="+8613912345678")
    assert str(applicant) == "139****5678"
