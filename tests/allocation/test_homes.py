"""导入房源: the 运营单位's sheet, previewed row by row, saved all or nothing (allocation/homes.py
and its admin pages)."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from allocation import homes
from allocation.models import AllocationEvent, Home
from tests.allocation.factories import make_drawn_plan
from tests.factories import form_data, make_rent_item
from tests.lottery.factories import make_plan_manager

pytestmark = pytest.mark.django_db

HEADER = ["房型", "楼号", "单元", "楼层", "房号", "建筑面积（㎡）", "朝向", "月租金（元/月）"]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(str(cell) for cell in row) for row in rows).encode(encoding)


@pytest.fixture
def offering():
    plan = make_drawn_plan(2)
    offering = plan.plan_projects.get()
    offering.homes = 3
    offering.save()
    make_rent_item(
        offering.project, room_type="一居室", area=Decimal("38.50"), monthly_rent=3800, homes=2
    )
    make_rent_item(
        offering.project, room_type="两居室", area=Decimal("56.20"), monthly_rent=5200, homes=1
    )
    return offering


GOOD = [
    HEADER,
    ["一居室", "3", "2", 12, "1203", 38.5, "南", 3800],
    ["一居室", "3", "2", 12, "1204", "", "北", ""],
    ["两居室", "5号楼", "", 3, "301", 56.2, "南北", 5200],
]


def test_a_good_xlsx_is_previewed_then_saved(offering):
    preview = homes.preview(offering, "房源.xlsx", xlsx(GOOD))
    assert preview.valid
    assert preview.warnings == []  # 2 一居室 + 1 两居室, 3 in all, as announced
    assert Home.objects.count() == 0  # a preview saves nothing
    manager = make_plan_manager()
    saved_offering, saved = homes.save(preview.payload(manager), by=manager)
    assert saved_offering == offering
    assert len(saved) == 3
    second = Home.objects.get(number="1204")
    assert second.area == Decimal("38.50")  # the 房型's, the cell being empty
    assert second.monthly_rent == 3800
    assert second.bedrooms == 1
    assert second.label == "3号楼2单元1204"
    assert Home.objects.get(number="301").label == "5号楼301"
    assert Home.objects.get(number="301").bedrooms == 2
    assert AllocationEvent.objects.get(kind="homes_imported").actor == manager


def test_a_csv_from_excel_in_gb18030_is_read(offering):
    preview = homes.preview(offering, "房源.csv", csv_bytes(GOOD, "gb18030"))
    assert preview.valid
    assert [row.cleaned["number"] for row in preview.rows] == ["1203", "1204", "301"]


def test_a_bad_sheet_is_refused_row_by_row_and_nothing_is_saved(offering):
    bad = [
        HEADER,
        ["一居室", "3", "2", "十二", "1203", 38.5, "南", 3800],
        ["复式", "3", "2", 5, "501", 38.5, "南", 3800],
        ["一居室", "3", "2", 5, "1203", -4, "南", 3800],
        ["一居室", "", "2", 5, "502", 38.5, "", 3800],
        ["两居室", "5", "", 3, "301", 56.2, "南北", 5200],
    ]
    preview = homes.preview(offering, "房源.xlsx", xlsx(bad))
    assert not preview.valid
    errors = {row.line: row.errors for row in preview.rows}
    assert errors[2] == ["楼层：输入整数。"]
    assert errors[3][0].startswith("房型：本项目的房型租金列表中没有“复式”")
    assert "建筑面积：确保该值大于或等于1。" in errors[4]
    assert "楼号：这个字段是必填项。" in errors[5]
    assert "朝向：这个字段是必填项。" in errors[5]
    assert errors[6] == []
    assert Home.objects.count() == 0


def test_duplicates_in_the_sheet_and_homes_already_imported_are_refused(offering):
    rows = [HEADER, GOOD[1], GOOD[1]]
    preview = homes.preview(offering, "a.xlsx", xlsx(rows))
    assert preview.rows[1].errors == ["与第 2 行的楼号、单元、房号相同。"]
    manager = make_plan_manager()
    homes.save(
        homes.preview(offering, "a.xlsx", xlsx([HEADER, GOOD[1]])).payload(manager), by=manager
    )
    again = homes.preview(offering, "a.xlsx", xlsx([HEADER, GOOD[1]]))
    assert again.rows[0].errors == ["该房源已经导入过。"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 .xls 文件"),
        ("a.pdf", b"%PDF-1.7", "只支持 .xlsx 和 .csv 文件"),
        ("a.xlsx", b"not a zip", "无法读取该 Excel 文件"),
        ("a.csv", "楼号,房号\r\n1,101".encode(), "缺少列：房型、楼层、朝向"),
        ("a.csv", "\r\n".join(HEADER).encode()[:0], "文件中没有内容"),
        ("a.csv", ",".join(HEADER).encode(), "表头下面没有房源"),
    ],
)
def test_files_that_are_no_sheet_of_homes_are_refused(offering, name, content, message):
    with pytest.raises(homes.SheetError, match=message):
        homes.preview(offering, name, content)


def test_a_tampered_or_foreign_preview_is_refused(offering):
    manager, other = make_plan_manager(), make_plan_manager()
    payload = homes.preview(offering, "a.xlsx", xlsx(GOOD)).payload(manager)
    with pytest.raises(homes.SheetError, match="预览已过期或无效"):
        homes.save(payload[:-2] + "xx", by=manager)
    with pytest.raises(homes.SheetError, match="预览已过期或无效"):
        homes.save(payload, by=other)
    assert Home.objects.count() == 0


def test_warns_when_homes_do_not_match_the_announced_numbers(offering):
    preview = homes.preview(offering, "a.xlsx", xlsx(GOOD[:2]))
    assert preview.warnings == [
        "房型“一居室 38.50㎡”公布的房源套数为 2 套，已导入（含本次）1 套。",
        "房型“两居室 56.20㎡”公布的房源套数为 1 套，已导入（含本次）0 套。",
        "配租计划中该项目的配租房源套数为 3 套，已导入（含本次）1 套。",
    ]


def test_staff_import_through_admin_with_a_preview(client, offering):
    manager = make_plan_manager()
    client.force_login(manager)
    url = f"/admin/allocation/home/import/{offering.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    upload = SimpleUploadedFile("房源.xlsx", xlsx(GOOD))
    preview = client.post(url, {"file": upload})
    html = preview.content.decode()
    assert "确认导入 3 套房源" in html
    assert Home.objects.count() == 0
    confirm = client.post(
        "/admin/allocation/home/import/confirm/", form_data(html, "confirm-import")
    )
    assert confirm.status_code == 302
    assert confirm["Location"] == f"/admin/plans/plan/{offering.plan_id}/allocation/"
    assert Home.objects.count() == 3


def test_admin_shows_every_bad_row_and_imports_nothing(client, offering):
    client.force_login(make_plan_manager())
    bad = [HEADER, ["一居室", "3", "2", "十二", "1203", 38.5, "南", 3800]]
    response = client.post(
        f"/admin/allocation/home/import/{offering.pk}/",
        {"file": SimpleUploadedFile("房源.xlsx", xlsx(bad))},
    )
    html = response.content.decode()
    assert "第 2 行：楼层：输入整数。" in html
    assert "confirm-import" not in html
    assert Home.objects.count() == 0


def test_reviewers_cannot_import(reviewer_client, offering):
    response = reviewer_client.get(f"/admin/allocation/home/import/{offering.pk}/")
    assert response.status_code == 403


def test_bedrooms_are_read_from_the_room_type():
    assert homes.bedrooms_of("开间") == 0
    assert homes.bedrooms_of("一居室") == 1
    assert homes.bedrooms_of("两居室") == 2
    assert homes.bedrooms_of("3居室") == 3
    assert homes.bedrooms_of("复式") is None
