"""A reviewer's day in admin (issue 5), and what the applicant then sees (manual 7.1)."""

import re

from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from applications.models import DocumentCheck, Progress
from applications.registration import register
from tests.browser.accounts_steps import log_in_as, log_in_to_admin
from tests.browser.conftest import screenshot
from tests.factories import make_applicant, make_info, make_plan, make_staff


def test_reviewer_checks_documents_and_rejects_then_the_applicant_reads_why(
    page: Page, browser, live_server
) -> None:
    plan = make_plan(rejection_reasons="本市社保或个税连续缴纳月数不足\n上传材料不清晰，无法核验")
    applicant = make_applicant(name="陈小红")
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    reviewer = make_staff(phone="+8613800000002", password="reviewer-pass-2026")
    reviewer.groups.add(Group.objects.get(name="资格审核员"))

    # The reviewer logs in to admin with phone, password and the code on their phone.
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in_to_admin(page, reviewer, "reviewer-pass-2026")
    page.get_by_role("link", name="配租登记", exact=True).first.click()
    page.locator("#searchbar").fill(registration.number)
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name=registration.number).click()
    expect(page.get_by_role("heading", name=re.compile("审核操作"))).to_be_visible()
    screenshot(page, "review-01-registration")

    # Start review, check two documents, reject with a preset reason.
    page.get_by_role("button", name="开始审核").click()
    expect(page.get_by_text("已更新为“审核中”")).to_be_visible()
    front = page.locator(".review-docs li", has_text="身份证人像面")
    front.get_by_label("核验通过").check()
    front.get_by_role("button", name="保存核验").click()
    expect(page.get_by_text("身份证人像面：核验通过。")).to_be_visible()
    proof = page.locator(".review-docs li", has_text="社保或个税缴纳证明")
    proof.get_by_label("不符").check()
    proof.get_by_label("核验说明").fill("缴费月数与填报不一致")
    proof.get_by_role("button", name="保存核验").click()
    expect(page.get_by_text("社保或个税缴纳证明：不符。")).to_be_visible()
    page.get_by_label("选择预设原因：").select_option("本市社保或个税连续缴纳月数不足")
    page.get_by_role("button", name="审核不通过").click()
    expect(page.get_by_text("已更新为“审核不通过”")).to_be_visible()
    screenshot(page, "review-02-rejected")

    registration.refresh_from_db()
    assert registration.progress == Progress.REJECTED
    assert registration.rejection_reason == "本市社保或个税连续缴纳月数不足"
    assert DocumentCheck.objects.filter(registration=registration).count() == 2

    # The applicant sees 审核不通过 and the reason in 配租记录.
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    applicant_page = context.new_page()
    log_in_as(applicant_page, applicant)
    applicant_page.goto("/records/")
    row = applicant_page.get_by_role("row", name=re.compile(registration.number))
    expect(row.get_by_text("审核不通过")).to_be_visible()
    expect(row.get_by_text("本市社保或个税连续缴纳月数不足")).to_be_visible()
    screenshot(applicant_page, "review-03-applicant-records")
    context.close()
