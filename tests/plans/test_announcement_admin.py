"""The 配租公告's admin page beside the text (issue 16): the conditions the public page prints for
the plan, a warning where the text says otherwise (never a refusal), and 预览公开页面."""

import pytest
from django.contrib.messages import WARNING, get_messages
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from plans.models import Announcement
from tests.factories import form_data, make_announcement, make_attachment, make_plan, make_staff

ISSUE_TEXT = "## 二、申请条件\n\n- 申请人须年满18周岁，具有完全民事行为能力；"
AGREEING_TEXT = "## 二、申请条件\n\n- 申请人年龄在18至35周岁之间；"
GENERATED = "申请人年龄须在 18 至 35 周岁之间（按身份证出生日期计算）。"
WARNING_SENTENCE = f"正文写有“年满18周岁”，而计划的年龄条件是：{GENERATED}"


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:plans_{name}", args=args)


def young_talent_plan(**overrides):
    return make_plan(min_age=18, max_age=35, **overrides)


def add_form(client, plan, **overrides) -> dict:
    html = client.get(admin_url("announcement_add"), {"plan": plan.pk}).content.decode()
    fields = {"title": "关于第六批专项配租的公告", "body": ISSUE_TEXT}
    fields.update(overrides)
    return form_data(html, "announcement_form", **fields)


def test_the_change_page_shows_the_plans_conditions_and_the_contradiction(staff_client):
    announcement = make_announcement(young_talent_plan(), body=ISSUE_TEXT)

    page = staff_client.get(admin_url("announcement_change", announcement.pk))

    assertContains(page, 'id="announcement-check"')
    assertContains(page, f"<li>{GENERATED}</li>", html=True)
    assertContains(page, "正文与登记条件不一致")
    assertContains(page, WARNING_SENTENCE)


def test_a_text_agreeing_with_the_plan_gets_no_warning(staff_client):
    announcement = make_announcement(young_talent_plan(), body=AGREEING_TEXT)

    page = staff_client.get(admin_url("announcement_change", announcement.pk))

    assertContains(page, f"<li>{GENERATED}</li>", html=True)
    assertNotContains(page, "正文与登记条件不一致")
    assertContains(page, "正文中未发现与登记条件不一致")


def test_adding_from_a_plans_page_shows_that_plans_conditions_at_once(staff_client):
    plan = young_talent_plan(requires_no_home=True)

    page = staff_client.get(admin_url("announcement_add"), {"plan": plan.pk})

    assertContains(page, f"<li>{GENERATED}</li>", html=True)
    assertContains(page, "<li>申请人在本市名下无住房。</li>", html=True)


@pytest.mark.parametrize("chosen", ["999999", "abc", ""])
def test_adding_with_an_unknown_plan_asks_for_one(staff_client, chosen):
    page = staff_client.get(admin_url("announcement_add"), {"plan": chosen})

    assert page.status_code == 200
    assertContains(page, "选择配租计划后，这里显示公告页将列出的登记条件。")


def test_saving_a_contradicting_text_saves_it_and_warns(staff_client):
    plan = young_talent_plan()

    response = staff_client.post(
        admin_url("announcement_add"), add_form(staff_client, plan), follow=True
    )

    assert Announcement.objects.get(plan=plan).body == ISSUE_TEXT
    warnings = [m.message for m in get_messages(response.wsgi_request) if m.level == WARNING]
    assert warnings == [f"公告正文与登记条件不一致：{WARNING_SENTENCE}"]
    assertContains(response, WARNING_SENTENCE)


def test_saving_an_agreeing_text_warns_of_nothing(staff_client):
    plan = young_talent_plan()

    response = staff_client.post(
        admin_url("announcement_add"),
        add_form(staff_client, plan, body=AGREEING_TEXT),
        follow=True,
    )

    assert Announcement.objects.filter(plan=plan).exists()
    assert not [m for m in get_messages(response.wsgi_request) if m.level == WARNING]


# The panel while staff type ---------------------------------------------------------------


def test_the_check_answers_for_the_text_being_typed(staff_client):
    plan = young_talent_plan()

    panel = staff_client.post(
        admin_url("announcement_check"), {"plan": plan.pk, "body": "年满22周岁"}
    )

    assert panel.status_code == 200
    assertContains(panel, "正文写有“年满22周岁”")
    assertContains(panel, f"<li>{GENERATED}</li>", html=True)


def test_the_check_without_a_plan_asks_for_one(staff_client):
    panel = staff_client.post(admin_url("announcement_check"), {"plan": "", "body": "年满22周岁"})

    assertContains(panel, "选择配租计划后")
    assertNotContains(panel, "正文写有")


def test_the_check_keeps_the_preview_of_the_announcement_being_edited(staff_client):
    announcement = make_announcement(young_talent_plan())
    url = admin_url("announcement_check") + f"?announcement={announcement.pk}"

    panel = staff_client.post(url, {"plan": announcement.plan.pk, "body": AGREEING_TEXT})

    preview = admin_url("announcement_preview") + f"?announcement={announcement.pk}"
    assertContains(panel, f'formaction="{preview}"')


@pytest.mark.parametrize("name", ["announcement_check", "announcement_preview"])
def test_check_and_preview_answer_only_posts(staff_client, name):
    assert staff_client.get(admin_url(name)).status_code == 405


@pytest.mark.parametrize("name", ["announcement_check", "announcement_preview"])
def test_check_and_preview_are_not_for_reviewers(reviewer_client, name):
    plan = young_talent_plan()
    response = reviewer_client.post(admin_url(name), {"plan": plan.pk, "body": ISSUE_TEXT})
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["announcement_check", "announcement_preview"])
def test_check_and_preview_send_strangers_to_the_login(client, db, name):
    plan = young_talent_plan()
    response = client.post(admin_url(name), {"plan": plan.pk, "body": ISSUE_TEXT})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# 预览公开页面 ---------------------------------------------------------------------------------


def test_the_preview_is_the_public_page_with_the_unsaved_text(staff_client):
    plan = young_talent_plan()
    form = add_form(
        staff_client, plan, title="预览中的公告", body=ISSUE_TEXT + "\n\n**加粗的说明**"
    )

    page = staff_client.post(admin_url("announcement_preview"), form)

    assert page.status_code == 200
    assert page.templates[0].name == "plans/announcement.html"
    assertContains(page, "这是尚未保存的公告在公开页面上的样子")
    assertContains(page, '<h2 id="announcement-0">预览中的公告</h2>', html=True)
    assertContains(page, "<strong>加粗的说明</strong>", html=True)
    assertContains(page, f"<li>{GENERATED}</li>", html=True)
    assertContains(page, WARNING_SENTENCE)
    assert not Announcement.objects.exists()


def test_the_preview_of_a_saved_announcement_lists_its_attachments(staff_client):
    announcement = make_announcement(young_talent_plan(), body=AGREEING_TEXT)
    make_attachment(announcement, title="盖章版公告")
    html = staff_client.get(admin_url("announcement_change", announcement.pk)).content.decode()
    form = form_data(html, "announcement_form", body="## 修改后的正文")

    page = staff_client.post(
        admin_url("announcement_preview") + f"?announcement={announcement.pk}", form
    )

    assertContains(page, "修改后的正文")
    assertContains(page, "盖章版公告")
    announcement.refresh_from_db()
    assert announcement.body == AGREEING_TEXT


def test_the_preview_without_a_plan_says_to_choose_one(staff_client):
    page = staff_client.post(admin_url("announcement_preview"), {"plan": "", "body": "正文"})

    assert page.status_code == 200
    assertContains(page, "请先选择配租计划，再预览公开页面")


def test_a_plan_manager_of_another_group_cannot_preview(client, db):
    client.force_login(make_staff())  # staff without any permission
    plan = young_talent_plan()
    response = client.post(admin_url("announcement_preview"), {"plan": plan.pk, "body": "x"})
    assert response.status_code == 403


def test_changing_the_plans_conditions_warns_of_a_notice_left_behind(client, db):
    manager = make_staff(group="配租管理员")
    client.force_login(manager)
    plan = make_plan(min_age=18)
    make_announcement(plan, title="第六批公告", body="- 申请人须年满18周岁")
    html = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    form = form_data(html, "plan_form", max_age="35")

    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), form, follow=True)

    plan.refresh_from_db()
    assert plan.max_age == 35
    warnings = [m.message for m in get_messages(response.wsgi_request) if m.level == WARNING]
    assert warnings == [
        f"配租公告“第六批公告”的正文与登记条件不一致：{WARNING_SENTENCE}",
    ]
