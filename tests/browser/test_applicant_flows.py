"""The applicant flows of issue 12, walked in the browser: 配租记录 with a long 不通过原因 at
phone and desktop widths, 重新登记 after 审核不通过."""

import re

import pytest
from playwright.sync_api import Page, expect

from applications.models import Registration
from applications.registration import register
from tests.browser.accounts_steps import log_in_as
from tests.browser.conftest import screenshot
from tests.factories import (
    image_bytes,
    make_applicant,
    make_info,
    make_plan,
    make_project,
    make_staff,
)

REASON = "劳动合同照片与工作单位名称不一致，请核对后重新申请。"


def rejected_registration(applicant, plan) -> Registration:
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    reviewer = make_staff(group="资格审核员")
    registration.start_review(by=reviewer)
    registration.reject(by=reviewer, reason=REASON)
    return registration


def assert_inside(page: Page, inner, outer) -> None:
    """The inner element's box lies within the outer one's and within the viewport."""
    box, frame = inner.bounding_box(), outer.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert frame is not None
    assert frame["x"] - 1 <= box["x"]
    assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    assert box["x"] + box["width"] <= viewport["width"]


@pytest.mark.parametrize("width", [1280, 1366, 1920])
def test_records_keep_actions_in_view_beside_a_long_reason_on_desktop(page: Page, width) -> None:
    applicant = make_applicant(name="赵敏")
    plan = make_plan(
        title="2026年第三批城市副中心保障性租赁住房专项配租计划",
        projects=[make_project(name="城市副中心职工之家（张家湾设计小镇）")],
    )
    registration = rejected_registration(applicant, plan)
    log_in_as(page, applicant)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto("/records/")

    row = page.get_by_role("row", name=re.compile(registration.number))
    expect(row.get_by_text(REASON)).to_be_visible()
    table = page.locator(".records__table")
    region = page.get_by_role("region", name="配租记录")
    assert_inside(page, table, region)  # no table wider than its box
    for name in ("查看", "修改填报信息", "重新登记"):
        link = row.get_by_role("link", name=name)
        expect(link).to_be_visible()
        assert_inside(page, link, region)
    if width == 1366:
        screenshot(page, "issue12-records-long-reason")


def test_records_are_cards_on_a_phone(page: Page) -> None:
    applicant = make_applicant(name="赵敏")
    plan = make_plan(projects=[make_project(name="城市副中心职工之家（张家湾设计小镇）")])
    registration = rejected_registration(applicant, plan)
    log_in_as(page, applicant)
    page.goto("/records/")

    card = page.get_by_role("row", name=re.compile(registration.number))
    expect(card).to_have_css("display", "block")
    expect(card.get_by_text(REASON)).to_be_visible()
    for name in ("查看", "重新登记"):
        assert_inside(page, card.get_by_role("link", name=name), card)
    # The reason wraps inside the card instead of widening the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_rejected_applicant_registers_again_and_keeps_the_history(page: Page) -> None:
    applicant = make_applicant(name="赵敏")
    plan = make_plan()
    old = rejected_registration(applicant, plan)
    log_in_as(page, applicant)

    page.goto("/")
    card = page.locator(".plan-card", has_text=plan.title)
    expect(card.get_by_text("审核不通过")).to_be_visible()
    expect(card.get_by_text(REASON)).to_be_visible()
    expect(card.get_by_text("已登记")).to_have_count(0)
    card.get_by_role("link", name="查看配租记录").click()
    page.get_by_role("row", name=re.compile(old.number)).get_by_role("link", name="查看").click()
    expect(page.get_by_text("本次登记审核不通过")).to_be_visible()
    screenshot(page, "issue12-rejected-record")

    page.get_by_role("link", name="重新登记").click()
    page.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("heading", name=re.compile("登记成功"))).to_be_visible()
    page.goto("/records/")
    expect(page.get_by_role("row", name=re.compile(old.number))).to_contain_text("审核不通过")
    new = Registration.objects.exclude(pk=old.pk).get(applicant=applicant)
    expect(page.get_by_role("row", name=re.compile(new.number))).to_contain_text("已登记")


def test_choosing_married_shows_the_marriage_upload_at_once(page: Page) -> None:
    applicant = make_applicant(name="钱多多")
    plan = make_plan()
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")
    marriage = page.locator("#documents-marriage")

    page.get_by_role("radio", name="未婚").check()
    expect(marriage).to_have_count(0)  # not asked of an unmarried applicant
    page.get_by_role("radio", name="已婚").check()
    expect(marriage).to_be_visible()
    expect(marriage.locator(".required")).to_have_count(1)
    expect(marriage).to_contain_text("已婚者必传")
    marriage.scroll_into_view_if_needed()
    screenshot(page, "issue12-form-married")
    # Issue 16: the * stays once a file is uploaded, whether or not the answer was saved.
    marriage.locator("input[type=file]").set_input_files(
        files=[{"name": "marriage.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}]
    )
    expect(marriage.locator(".document", has_text="marriage.jpg")).to_be_visible()
    expect(marriage.locator(".required")).to_have_count(1)


def test_without_javascript_the_marriage_upload_is_shown_with_its_condition(
    browser, live_server
) -> None:
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in_as(page, make_applicant(name="孙小美"))
    plan = make_plan()
    page.goto(f"/plans/{plan.pk}/info/edit/")
    page.get_by_role("radio", name="已婚").check()
    marriage = page.locator("#documents-marriage")
    expect(marriage).to_be_visible()
    expect(marriage).to_contain_text("婚姻证明（已婚者必传）")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#documents-marriage")).to_contain_text("请上传此项材料")
    context.close()


def test_a_36_year_old_reads_the_age_rule_before_pressing_register(page: Page) -> None:
    from datetime import date

    plan = make_plan(min_age=18, max_age=35, title="2026年第五批青年人才专项配租计划")
    applicant = make_applicant(name="周建国", birth=date(1990, 1, 1))
    make_info(applicant, plan)

    page.goto(f"/plans/{plan.pk}/announcement/")
    expect(page.get_by_role("heading", name="登记条件（粗筛选）")).to_be_visible()
    expect(page.get_by_text("申请人年龄须在 18 至 35 周岁之间")).to_be_visible()

    log_in_as(page, applicant)
    page.goto("/")
    card = page.locator(".plan-card", has_text=plan.title)
    notice = card.locator(".screening-notice")
    expect(notice).to_contain_text("您目前不满足：")
    expect(notice).to_contain_text("申请人年龄须在 18 至 35 周岁之间")
    button = card.get_by_text("立即登记")
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(card.get_by_role("link", name="立即登记")).to_have_count(0)
    notice.scroll_into_view_if_needed()
    screenshot(page, "issue12-screening-notice")


def test_a_spouse_listed_in_a_registration_is_told_the_family_rule(page: Page) -> None:
    plan = make_plan()
    husband, wife = make_applicant(name="吴大伟"), make_applicant(name="郑小燕")
    make_info(
        husband,
        plan,
        members=[(wife.real_name, "spouse", wife.id_number)],
        marital_status="married",
    )
    first = register(applicant=husband, plan=plan, offering=plan.plan_projects.get()).registration
    make_info(wife, plan)
    log_in_as(page, wife)

    page.goto("/")
    page.locator(".plan-card", has_text=plan.title).get_by_role("link", name="立即登记").click()
    page.get_by_role("button", name="确认登记").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("每个家庭只能登记一次")
    expect(page.get_by_text("吴大伟")).to_have_count(0)
    expect(page.get_by_text(first.number)).to_have_count(0)
    assert not Registration.objects.filter(applicant=wife).exists()


def test_a_41_year_old_is_told_at_real_name_before_the_form(page: Page) -> None:
    """Issue 16, item 3: the age rule is known at 实名 and said before any form is filled."""
    from datetime import date

    from tests.browser.accounts_steps import verify_real_name
    from tests.factories import id_number_for, make_user

    plan = make_plan(min_age=18, max_age=35, title="2026年第七批青年人才专项配租计划")
    log_in_as(page, make_user())
    page.goto("/")
    page.locator(".plan-card", has_text=plan.title).get_by_role("link", name="填报信息").click()
    verify_real_name(page, "周建国", id_number_for(date(1985, 1, 1)))  # 41 in 2026

    # Back on the form: its first screen says it, before any field.
    expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/info/edit/$"))
    notice = page.locator(".screening-notice")
    expect(notice).to_contain_text("您目前不满足：")
    expect(notice).to_contain_text("申请人年龄须在 18 至 35 周岁之间")
    expect(notice).to_contain_text("按实名认证的身份证信息判断，修改填报信息不能改变。")
    assert (
        notice.bounding_box()["y"]
        < page.get_by_role("heading", name="基本情况").bounding_box()["y"]
    )
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "issue16-age-on-the-form")

    page.goto("/")
    card = page.locator(".plan-card", has_text=plan.title)
    expect(card.locator(".screening-notice")).to_contain_text("申请人年龄须在 18 至 35 周岁之间")
    expect(card.get_by_text("立即登记")).to_have_attribute("aria-disabled", "true")
    card.scroll_into_view_if_needed()
    screenshot(page, "issue16-age-on-the-card")

    page.goto("/accounts/profile/")
    panel = page.locator("#plan-rules")
    expect(panel).to_contain_text("按您实名认证的身份证信息，您不满足以下配租计划的条件：")
    expect(panel.get_by_role("link", name=plan.title)).to_be_visible()
    screenshot(page, "issue16-age-on-the-profile")


def test_a_rejected_applicant_reads_which_document_to_fix(page: Page) -> None:
    """Issue 16, item 4: the reviewer's note reaches the record and, beside the file, the form."""
    from applications import review
    from applications.models import DocumentCheck

    note = "社保缴纳证明照片模糊，看不清缴费月份"
    applicant = make_applicant(name="孙丽")
    plan = make_plan(title="2026年第八批保障性租赁住房专项配租计划")
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    reviewer = make_staff(group="资格审核员")
    review.decide(registration, decision="start_review", by=reviewer)
    DocumentCheck.objects.create(
        registration=registration,
        document=registration.info.documents.get(kind="contributions"),
        verdict=DocumentCheck.Verdict.MISMATCH,
        note=note,
        checked_by=reviewer,
    )
    review.decide(registration, decision="reject", by=reviewer, reason="提交材料与填报信息不符")

    log_in_as(page, applicant)
    page.goto("/records/")
    page.get_by_role("row", name=re.compile(registration.number)).get_by_role(
        "link", name="查看"
    ).click()
    corrections = page.get_by_role("note", name="需要更正的材料")
    expect(corrections).to_contain_text("社保或个税缴纳证明")
    expect(corrections).to_contain_text(note)
    expect(page.get_by_text(re.compile("登记截止时间为 .*，截止前您可以"))).to_be_visible()
    screenshot(page, "issue16-record-document-note")

    page.get_by_role("link", name="修改填报信息").click()
    top = page.get_by_role("note", name="上次登记审核不通过")
    expect(top).to_contain_text(note)
    top.get_by_role("link", name="社保或个税缴纳证明").click()
    block = page.locator("#documents-contributions")
    expect(block.locator(".document__review")).to_have_text(f"审核意见：{note}")
    expect(block.locator(".document", has_text="contributions.jpg")).to_contain_text(note)
    screenshot(page, "issue16-form-document-note")


def test_after_registering_every_project_of_the_plan_says_registered(page: Page) -> None:
    """Issue 16, item 6: no 立即登记 for a plan one holds, on any of its projects."""
    first, second = make_project(name="望京锦苑公寓"), make_project(name="酒仙桥青年公寓")
    plan = make_plan(projects=[first, second], title="2026年第九批保障性租赁住房专项配租计划")
    applicant = make_applicant(name="刘洋")
    make_info(applicant, plan)
    log_in_as(page, applicant)

    page.goto(first.get_absolute_url())
    page.locator("#offerings").get_by_role("link", name="立即登记").click()
    page.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible()
    number = Registration.objects.get(applicant=applicant).number

    page.goto(second.get_absolute_url())
    offering = page.locator("#offerings .offering", has_text=plan.title)
    expect(offering.get_by_role("link", name="立即登记")).to_have_count(0)
    expect(offering).to_contain_text(f"您已登记该计划的望京锦苑公寓，登记编号 {number}。")
    offering.scroll_into_view_if_needed()
    screenshot(page, "issue16-project-registered")
    offering.get_by_role("link", name="查看配租记录").click()
    expect(page.get_by_role("heading", name="配租记录详情")).to_be_visible()
    expect(page.get_by_text(number).first).to_be_visible()


def test_the_verify_page_of_a_cancelled_record_says_it_is_cancelled(page: Page) -> None:
    """Issue 16, item 8: the QR code of an old printout leads to the record's state today."""
    applicant = make_applicant(name="赵云")
    plan = make_plan(title="2026年第十一批保障性租赁住房专项配租计划")
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    registration.cancel(by=applicant)

    page.goto(f"/verify/{registration.verification_code}/")
    status = page.get_by_role("status")
    expect(status).to_contain_text("该配租登记记录存在，但已于")
    expect(status).to_contain_text("由申请人取消，已失效。")
    expect(page.get_by_text("真实有效")).to_have_count(0)
    expect(page.locator(".facts")).to_contain_text("已取消")
    screenshot(page, "issue16-verify-cancelled")
