"""短信发送记录 in admin: a manager finds a text that failed and resends it (issue 11)."""

import re

from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from messaging.models import OutboxMessage
from rentcenter import sms
from tests.browser.accounts_steps import log_in_to_admin
from tests.browser.conftest import screenshot
from tests.factories import make_staff


def test_manager_resends_a_failed_text_from_admin(page: Page) -> None:
    failed = OutboxMessage.objects.create(
        phone="+8613900000001",
        text="您登记的“2026年第1批”望京锦苑（PZ20260301ABCD）审核通过。",
        kind=OutboxMessage.Kind.DECISION,
        reference="PZ20260301ABCD",
        status=OutboxMessage.Status.FAILED,
        attempts=8,
        error="gateway answered 500",
    )
    OutboxMessage.objects.create(
        phone="+8613900000002",
        text="您已成功登记",
        kind=OutboxMessage.Kind.REGISTRATION,
        status=OutboxMessage.Status.SENT,
        attempts=1,
    )
    manager = make_staff(phone="+8613800000001", password="manager-pass-2026")
    manager.groups.add(Group.objects.get(name="配租管理员"))

    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_to_admin(page, manager, "manager-pass-2026")
    page.get_by_role("link", name="短信发送记录").first.click()
    page.get_by_role("link", name="失败", exact=True).click()
    expect(page.get_by_text("短信平台拒绝发送（返回 500）")).to_be_visible()
    screenshot(page, "outbox-01-failed")

    page.locator(f'input[name="_selected_action"][value="{failed.pk}"]').check()
    page.locator('select[name="action"]').select_option("resend_selected")
    page.get_by_role("button", name=re.compile("执行|Go")).click()
    expect(page.get_by_text("已重新加入发送队列 1 条。")).to_be_visible()
    expect(page.get_by_text("未重新发送")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "outbox-02-resent")

    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT
    assert [m.phone for m in sms.outbox] == ["+8613900000001"]
