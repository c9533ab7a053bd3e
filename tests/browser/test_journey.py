"""The applicant's whole journey through the manual (sections 三 to 七), in a browser:
注册, 实名, 填报信息 with uploads, 立即登记, 配租记录, 查看, 导出 PDF, 取消登记, 修改, and
登记 again."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from applications.models import ApplicationInfo, Progress, Registration
from tests.browser.accounts_steps import field, sign_up, verify_real_name
from tests.browser.conftest import screenshot
from tests.factories import (
    id_number_for,
    make_floor_plan,
    make_plan,
    make_project,
    make_project_photo,
)

REQUIRED_UPLOADS = {
    "身份证人像面": "id-front.jpg",
    "身份证国徽面": "id-back.jpg",
    "户口簿或居住证": "hukou.png",
    "劳动合同或在职证明": "contract.jpg",
    "社保或个税缴纳证明": "contributions.jpg",
}


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for index, name in enumerate(REQUIRED_UPLOADS.values()):
        buffer = io.BytesIO()
        image = Image.new("RGB", (800, 560), (40 + index * 40, 120, 200 - index * 30))
        image.save(buffer, "PNG" if name.endswith(".png") else "JPEG")
        path = tmp_path / name
        path.write_bytes(buffer.getvalue())
        files[name] = path
    return files


@pytest.fixture
def plan():
    project = make_project(name="望京锦苑公寓", district="chaoyang")
    make_project_photo(project)
    make_floor_plan(project)
    return make_plan(projects=[project], title="2026年第四批保障性租赁住房专项配租计划")


def fill_in_the_form(page: Page, photos: dict[str, Path], *, employer: str) -> None:
    page.get_by_label("未婚").check()
    page.get_by_label("外省市户籍").check()
    page.get_by_label(field("户籍所在地")).fill("河北省保定市")
    page.get_by_label(field("现居住地址")).fill("北京市朝阳区望京西路1号院2号楼")
    page.get_by_label(field("工作单位")).fill(employer)
    page.get_by_label(field("单位所在区")).select_option(label="朝阳区")
    page.get_by_label(field("本市连续缴纳社保或个税月数")).fill("36")
    page.get_by_label("本市名下无住房").check()
    page.get_by_role("textbox", name=field("紧急联系人")).fill("李四")
    page.get_by_label(field("紧急联系人电话")).fill("13700000001")
    for label, name in REQUIRED_UPLOADS.items():
        page.get_by_label(field(label)).set_input_files(photos[name])
        # htmx uploads the file as soon as it is chosen and shows its thumbnail.
        expect(page.locator(".document", has_text=name.rsplit(".", 1)[0]).first).to_be_visible()


def test_the_whole_applicant_journey(page: Page, plan, photos, tmp_path: Path) -> None:
    page.goto("/")
    screenshot(page, "journey-01-home")
    page.get_by_role("link", name="注册").click()
    sign_up(page, "13912345678")

    # 填报信息 asks for 实名 first, then comes back (manual 3.3).
    page.get_by_role("link", name="填报信息").click()
    expect(page.get_by_text("请先完成实名认证")).to_be_visible()
    number = id_number_for(date(1995, 3, 8), sequence=21)
    verify_real_name(page, "王小明", number)
    expect(page.get_by_role("heading", name="信息填报")).to_be_visible()
    expect(page.get_by_text("王小明")).to_be_visible()

    # A submit with a missing field keeps everything and says what to fix.
    fill_in_the_form(page, photos, employer="")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="提交未成功，请修改以下内容")).to_be_visible()
    expect(page.get_by_label(field("户籍所在地"))).to_have_value("河北省保定市")
    expect(page.locator("#documents-hukou .document")).to_have_count(1)
    screenshot(page, "journey-02-form-errors")
    page.get_by_role("link", name=re.compile("工作单位")).click()
    page.get_by_label(field("工作单位")).fill("北京望京科技有限公司")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="信息填报已提交")).to_be_visible()
    screenshot(page, "journey-03-submitted")

    # 立即登记 (manual 五).
    page.get_by_role("link", name="立即登记").click()
    page.get_by_label(re.compile("望京锦苑公寓")).check()
    screenshot(page, "journey-04-register")
    page.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible()
    registration = Registration.objects.get()
    expect(page.get_by_text(registration.number)).to_be_visible()
    screenshot(page, "journey-05-registered")

    # 配租记录, 查看, 导出 PDF (manual 六).
    page.get_by_role("link", name="查看配租记录").click()
    row = page.get_by_role("row", name=re.compile(registration.number))
    expect(row.get_by_text("已登记")).to_be_visible()
    screenshot(page, "journey-06-records")
    row.get_by_role("link", name="查看").click()
    expect(page.get_by_role("heading", name="配租记录详情")).to_be_visible()
    screenshot(page, "journey-07-record")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 PDF").click()
    saved = tmp_path / "record.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")

    # 取消登记 (manual 6.2), then 修改 and register again.
    page.get_by_role("link", name="取消登记").click()
    page.get_by_role("button", name="确认取消登记").click()
    expect(page.get_by_text(f"已取消登记 {registration.number}")).to_be_visible()
    expect(
        page.get_by_role("row", name=re.compile(registration.number)).get_by_text("已取消")
    ).to_be_visible()

    page.goto("/")
    page.get_by_role("link", name="查看填报信息").click()
    page.get_by_role("link", name="修改").click()
    expect(page.get_by_label(field("工作单位"))).to_have_value("北京望京科技有限公司")
    page.get_by_label(field("工作单位")).fill("北京望京新科技有限公司")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".panel__reference")).to_contain_text("第 2 版")  # the same TB number
    page.get_by_role("link", name="立即登记").click()
    page.get_by_label(re.compile("望京锦苑公寓")).check()
    page.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible()

    again = Registration.objects.exclude(pk=registration.pk).get()
    assert again.progress == Progress.REGISTERED
    assert again.info.employer == "北京望京新科技有限公司"
    assert ApplicationInfo.objects.filter(plan=plan).count() == 2
    assert again.info.documents.count() == len(REQUIRED_UPLOADS)
    page.get_by_role("link", name="查看配租记录").click()
    screenshot(page, "journey-08-records-again")


def test_the_form_works_without_javascript(browser, live_server, plan, photos) -> None:
    """htmx only enhances: uploads travel with the form, 添加家庭成员 is a plain post."""
    from tests.browser.accounts_steps import log_in_as
    from tests.factories import make_applicant

    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in_as(page, make_applicant(name="李雷"))
    page.goto(f"/plans/{plan.pk}/info/edit/")
    page.get_by_role("button", name="＋ 添加家庭成员").click()
    expect(page.get_by_role("group", name="家庭成员 1")).to_be_visible()
    page.get_by_role("button", name="删除家庭成员 1").click()
    expect(page.get_by_role("group", name="家庭成员 1")).to_have_count(0)
    fill_in_the_form_without_js(page, photos)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="信息填报已提交")).to_be_visible()
    assert ApplicationInfo.objects.get().documents.count() == len(REQUIRED_UPLOADS)
    context.close()


def fill_in_the_form_without_js(page: Page, photos: dict[str, Path]) -> None:
    page.get_by_label("未婚").check()
    page.get_by_label("本市户籍", exact=True).check()
    page.get_by_label(field("户籍所在地")).fill("北京市东城区")
    page.get_by_label(field("现居住地址")).fill("北京市东城区某胡同3号")
    page.get_by_label(field("工作单位")).fill("北京某某有限公司")
    page.get_by_label(field("单位所在区")).select_option(label="东城区")
    page.get_by_label(field("本市连续缴纳社保或个税月数")).fill("12")
    page.get_by_label("本市名下无住房").check()
    page.get_by_role("textbox", name=field("紧急联系人")).fill("韩梅梅")
    page.get_by_label(field("紧急联系人电话")).fill("010-12345678")
    for label, name in REQUIRED_UPLOADS.items():
        page.get_by_label(field(label)).set_input_files(photos[name])
