"""Personal information in a browser (issue 18): an applicant signs up agreeing to the
个人信息处理规则, gives the separate consent before 实名, a reviewer opens their documents, the
applicant sees that look on 基本信息, downloads their data and closes the account."""

import io
import json
import re
import zipfile

from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import AccessEvent, User
from applications.registration import register
from rentcenter import sms
from rentcenter.display import ELDER_COOKIE
from tests.browser.accounts_steps import (
    field,
    log_in_as,
    read_code,
    sign_up,
    site_test_mode,
    verify_real_name,
)
from tests.browser.conftest import DESKTOP, screenshot
from tests.factories import id_number_for, make_info, make_plan, make_staff

PHONE = "13912345678"


def confirm_with_code(page: Page, submit: str) -> None:
    """The captcha, 发送验证码, the texted code, then the page's own button. The journey asks
    for several codes within a minute, which the per-phone limit (tested on its own) forbids."""
    with site_test_mode(), override_settings(SMS_PHONE_LIMITS=((10, 60),)):
        already = len(sms.outbox)
        page.get_by_label(field("数字验证码")).fill("PASSED")
        page.get_by_role("button", name="发送验证码", exact=True).click()
        expect(page.get_by_text("验证码已发送至")).to_be_visible()
        code = read_code(PHONE, after=already)
        page.get_by_label(field("短信验证码")).fill(code)
        page.get_by_role("button", name=submit, exact=True).click()


def test_consent_a_reviewers_look_my_data_and_closing(page: Page, browser: Browser) -> None:
    # 注册, the agreement box unticked until the applicant ticks it.
    page.goto("/accounts/register/")
    expect(page.get_by_role("link", name="《个人信息处理规则》（在新窗口打开）")).to_be_visible()
    expect(page.get_by_label(field("我已阅读并同意《个人信息处理规则》"))).not_to_be_checked()
    screenshot(page, "issue18-register-agreement")
    sign_up(page, PHONE)
    applicant = User.objects.get(phone=f"+86{PHONE}")
    assert list(applicant.consents.values_list("kind", flat=True)) == ["rules"]

    # 基本信息: the separate consent first, naming the sensitive information, then 实名.
    page.goto("/accounts/profile/")
    expect(page.get_by_role("heading", name=re.compile("实名认证前，请单独同意"))).to_be_visible()
    expect(page.get_by_label(field("真实姓名"))).to_have_count(0)
    screenshot(page, "issue18-separate-consent")
    number = id_number_for(timezone.localdate().replace(year=1995, month=3, day=14))
    verify_real_name(page, "王小明", number)
    assert applicant.consents.filter(kind="sensitive").exists()

    # What the applicant declared (built here: the journey of 信息填报 has its own test).
    plan = make_plan(title="2026年第四批保障性租赁住房专项配租计划")
    applicant.refresh_from_db()
    make_info(applicant, plan)
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.first()
    ).registration

    # A reviewer opens the registration and one of its documents.
    reviewer = make_staff(group="资格审核员", staff_number="R0201", department="资格审核科")
    reviewer.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    staff_context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=page.url)
    staff_page = staff_context.new_page()
    try:
        log_in_as(staff_page, reviewer)
        staff_page.goto(f"/admin/applications/registration/{registration.pk}/change/")
        with staff_page.expect_popup() as opened:
            staff_page.locator("#documents a").first.click()
        assert opened.value.url.endswith("/")
        # The full number, after saying why.
        staff_page.get_by_role("link", name="查看完整号码（需填写原因）").click()
        staff_page.get_by_label("查看原因").fill("核对身份证照片与填报的证件号码")
        screenshot(staff_page, "issue18-reveal-id")
        staff_page.get_by_role("button", name="查看完整号码").click()
        expect(staff_page.get_by_text(number)).to_be_visible()
    finally:
        staff_context.close()
    actions = set(AccessEvent.objects.filter(subject=applicant).values_list("action", flat=True))
    assert actions == {"application", "document", "full_id_number"}

    # The applicant sees who looked: a staff number and a department.
    page.goto("/accounts/profile/")
    looks = page.locator("#access")
    expect(looks.get_by_text("工号 R0201（资格审核科）").first).to_be_visible()
    expect(looks.get_by_text(re.compile("查看上传材料"))).to_have_count(2)  # a file, thumbnails
    looks.scroll_into_view_if_needed()
    screenshot(page, "issue18-who-looked")

    # 下载我的个人信息: a code, then the ZIP once the worker has made it.
    page.get_by_role("link", name="下载我的个人信息").click()
    expect(page.get_by_role("heading", name="下载我的个人信息", level=1)).to_be_visible()
    confirm_with_code(page, "申请下载")
    expect(page.get_by_text("已开始生成")).to_be_visible()
    download_link = page.get_by_role("link", name=re.compile("下载压缩包"))
    expect(download_link).to_be_visible()
    screenshot(page, "issue18-my-data")
    with page.expect_download() as downloaded:
        download_link.click()
    archive = zipfile.ZipFile(io.BytesIO(open(downloaded.value.path(), "rb").read()))  # noqa: SIM115
    data = json.loads(archive.read("个人信息.json"))
    assert data["实名认证"]["证件号码"] == number
    assert data["查看记录"][0]["工作人员"] == "工号 R0201（资格审核科）"
    assert any(name.startswith("材料/") for name in archive.namelist())

    # 注销账号: refused while the registration is in its open window, with the reason.
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="注销账号").click()
    expect(page.get_by_role("heading", name="暂时不能注销账号")).to_be_visible()
    expect(page.get_by_text(registration.number)).to_be_visible()
    screenshot(page, "issue18-close-refused")
    page.goto(f"/records/{registration.number}/cancel/")
    page.get_by_role("button", name="确认取消登记").click()
    expect(page.get_by_text("已取消").first).to_be_visible()

    # Now the account can be closed.
    page.goto("/privacy/close/")
    expect(page.get_by_text("注销后会发生什么")).to_be_visible()
    screenshot(page, "issue18-close")
    page.get_by_label(field("我已阅读以上说明，确认注销账号，并知晓注销后无法恢复")).check()
    confirm_with_code(page, "确认注销账号")
    expect(page.get_by_role("heading", name="账号已注销")).to_be_visible()
    screenshot(page, "issue18-closed")
    applicant.refresh_from_db()
    assert applicant.is_closed
    assert applicant.phone is None
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def test_the_new_pages_in_elder_mode(page: Page) -> None:
    """长辈模式 of the rules, the consent asked again, and 基本信息 with its new parts."""
    from tests.factories import make_user

    page.goto("/healthz")
    origin = page.url.rsplit("/healthz", 1)[0]
    page.context.add_cookies([{"name": ELDER_COOKIE, "value": "1", "url": origin}])
    page.goto("/privacy/rules/")
    expect(page.get_by_role("heading", name="个人信息处理规则", level=1)).to_be_visible()
    expect(
        page.get_by_role("cell", name=re.compile("按《网络安全法》要求保存183天后删除")).first
    ).to_be_visible()
    screenshot(page, "issue18-rules-elder")
    log_in_as(page, make_user(consented=False))
    page.goto("/records/")
    expect(page.get_by_role("heading", name="请阅读并同意个人信息处理规则")).to_be_visible()
    screenshot(page, "issue18-consent-elder")
    page.get_by_label(field("我已阅读并同意《个人信息处理规则》")).check()
    page.get_by_role("button", name="同意并继续").click()
    expect(page).to_have_url(re.compile("/records/$"))
    page.goto("/accounts/profile/")
    screenshot(page, "issue18-profile-elder")
