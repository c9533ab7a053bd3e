"""Issue 16, items 1 and 2: in 信息填报 nothing typed is lost. Enter (a phone's 前往 key) never
adds, removes or discards anything; a family member goes only through its own button and a
confirmation; the form saves as the applicant types and says when; leaving with edits not yet
saved asks first."""

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from applications.models import ApplicationDraft
from tests.browser.accounts_steps import field, log_in_as
from tests.browser.conftest import PHONE, screenshot
from tests.factories import id_number_for, make_applicant, make_info, make_plan

SPOUSE = ("李小红", "spouse", id_number_for(date(1995, 3, 8), sequence=41, female=True))

# Every one-line field of the form a person types into (radios and selects take no Enter).
TEXT_FIELDS = (
    "户籍所在地",
    "现居住地址",
    "工作单位",
    "统一社会信用代码",
    "本市连续缴纳社保或个税月数",
    "紧急联系人电话",
)


@pytest.fixture
def plan():
    return make_plan(title="2026年第六批保障性租赁住房专项配租计划")


@pytest.fixture
def applicant(plan):
    """Married, with a spouse listed and every document uploaded: the form opens prefilled."""
    person = make_applicant(name="王建华")
    make_info(person, plan, members=[SPOUSE], marital_status="married")
    return person


def text_boxes(page: Page):
    """Label → locator of every one-line text field, the family member's included."""
    boxes = {label: page.get_by_label(field(label)) for label in TEXT_FIELDS}
    boxes["统一社会信用代码"] = page.get_by_label(re.compile("^统一社会信用代码"))
    boxes["紧急联系人"] = page.get_by_role("textbox", name=field("紧急联系人"))
    member = page.get_by_role("group", name="家庭成员 1")
    boxes["家庭成员姓名"] = member.get_by_label(field("姓名"))
    boxes["家庭成员证件号码"] = member.get_by_label(field("证件号码"))
    return boxes


def stored_members(applicant) -> list[str] | None:
    draft = ApplicationDraft.objects.filter(applicant=applicant).first()
    return [row["name"] for row in draft.data["members"]] if draft else None


def test_enter_in_every_text_field_changes_nothing_and_loses_nothing(page: Page, plan, applicant):
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    form_url = page.url
    documents = page.locator(".document").count()
    assert documents >= 5
    typed = {}
    for label, box in text_boxes(page).items():
        if label == "家庭成员证件号码":
            value = box.input_value()  # shown masked; Enter on it as it is
        elif label == "本市连续缴纳社保或个税月数":
            value = "37"
        elif label == "紧急联系人电话":
            value = "13700000002"
        elif label == "统一社会信用代码":
            value = "91110105MA01ABCD2X"
        else:
            value = f"{label}（回车前）"
        box.fill(value)
        box.press("Enter")
        typed[label] = value
        # Still the same page, the same member, every file still there, the value as typed.
        assert page.url == form_url
        expect(page.get_by_role("group", name=re.compile("家庭成员"))).to_have_count(1)
        expect(page.locator(".document")).to_have_count(documents)
        expect(box).to_have_value(value)
    # Enter moved on like a phone's 下一项 key: the last field's Enter left it.
    expect(text_boxes(page)["家庭成员证件号码"]).not_to_be_focused()
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^已暂存 \d\d:\d\d$"))
    assert stored_members(applicant) == ["家庭成员姓名（回车前）"]  # the one member, as typed

    page.reload()
    for label, box in text_boxes(page).items():
        expect(box).to_have_value(typed[label])
    expect(page.locator(".document")).to_have_count(documents)


def test_enter_without_javascript_only_saves(browser: Browser, live_server, plan, applicant):
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport=PHONE, locale="zh-CN"
    )
    page = context.new_page()
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    documents = page.locator(".document").count()
    for label in ("现居住地址", "家庭成员姓名", "工作单位"):
        box = text_boxes(page)[label]
        box.fill(f"{label}（无脚本）")
        box.press("Enter")
        expect(page.get_by_text("按回车键只会暂存您的填写")).to_be_visible()
        assert page.url.endswith(f"/plans/{plan.pk}/info/edit/")
        expect(text_boxes(page)[label]).to_have_value(f"{label}（无脚本）")
        expect(page.get_by_role("group", name=re.compile("家庭成员"))).to_have_count(1)
        expect(page.locator(".document")).to_have_count(documents)
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^已暂存 \d\d:\d\d$"))
    # Without JavaScript the page does not claim to save by itself.
    expect(page.get_by_text("自动暂存")).to_have_count(0)
    assert stored_members(applicant) == ["家庭成员姓名（无脚本）"]
    context.close()


def test_removing_a_member_asks_first_and_keeps_what_was_typed(page: Page, plan, applicant):
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    page.get_by_label(field("工作单位")).fill("删除前填写的单位")
    page.get_by_role("button", name="删除家庭成员 1").click()
    expect(page.get_by_role("heading", name="确认删除家庭成员 1？")).to_be_visible()
    expect(page.get_by_text("李小红")).to_be_visible()
    screenshot(page, "issue16-confirm-remove-member")
    page.get_by_role("link", name="返回填报，不删除").click()
    expect(page.get_by_role("group", name="家庭成员 1")).to_be_visible()
    expect(page.get_by_label(field("工作单位"))).to_have_value("删除前填写的单位")

    page.get_by_role("button", name="删除家庭成员 1").click()
    page.get_by_role("button", name="确认删除").click()
    expect(page.get_by_text("已删除家庭成员 李小红。")).to_be_visible()
    expect(page.get_by_role("group", name=re.compile("家庭成员"))).to_have_count(0)
    expect(page.get_by_label(field("工作单位"))).to_have_value("删除前填写的单位")
    assert stored_members(applicant) == []


def test_a_changed_employer_is_kept_without_pressing_save(page: Page, plan, applicant):
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    expect(page.get_by_text("您的填写会在输入时自动暂存")).to_be_visible()
    page.get_by_label(field("工作单位")).fill("北京新单位有限公司")
    # Until the edit is stored the page does not say 已暂存: it says a save is coming.
    expect(page.locator("#autosave-status")).to_have_text("正在暂存…")
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^已暂存 \d\d:\d\d$"))
    screenshot(page, "issue16-autosaved")
    page.get_by_role("link", name="首页").first.click()  # no question: nothing is unsaved
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"/plans/{plan.pk}/info/edit/")
    expect(page.get_by_label(field("工作单位"))).to_have_value("北京新单位有限公司")


def test_leaving_with_unsaved_changes_asks_first(page: Page, plan, applicant):
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    # The network is down: nothing can be saved.
    page.route(re.compile(r"/info/save/$"), lambda route: route.abort())
    page.get_by_label(field("工作单位")).fill("断网时填写的单位")
    expect(page.locator("#autosave-status")).to_contain_text("未能自动暂存")

    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="首页").first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert "/info/edit/" in page.url
    expect(page.get_by_label(field("工作单位"))).to_have_value("断网时填写的单位")

    # The network is back: the next keystroke saves, and leaving asks nothing.
    page.unroute(re.compile(r"/info/save/$"))
    page.get_by_label(field("工作单位")).fill("网络恢复后的单位")
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^已暂存"))
    page.get_by_role("link", name="首页").first.click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert asked == ["beforeunload"]


def test_leaving_at_once_asks_and_what_was_typed_still_arrives(page: Page, plan, applicant):
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label(field("工作单位")).fill("马上离开")
    page.get_by_role("link", name="首页").first.click()  # before the save's second is up
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"/plans/{plan.pk}/info/edit/")
    expect(page.get_by_label(field("工作单位"))).to_have_value("马上离开")
