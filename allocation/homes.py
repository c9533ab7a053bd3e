"""房源: importing a project's homes from the 运营单位's spreadsheet, and keeping them.

The 运营单位 keep their homes in Excel. Staff upload the sheet (.xlsx, or .csv, which Excel in
China writes in GB 18030 unless told otherwise, so both it and UTF-8 are read) on the import page
of a plan's project; each row is checked as a form would be, and the preview lists every row
with its errors in Chinese, naming the row as the spreadsheet numbers it. Nothing is saved
until every row is valid; then the staff member confirms the preview they saw: the checked rows
travel in the confirmation form signed by the server (django.core.signing), so what is saved
is exactly what was shown, and they are checked again against the database before they are.

openpyxl reads .xlsx (a well-kept library, read-only and values-only, with defusedxml guarding
its XML parsing against entity expansion); the csv module reads .csv. Not django-import-export:
its resources map a sheet onto one model's fields, while a row here is also matched to the
project's rent list (房型), defaults to that row's area and rent, and is refused with sentences
the 运营单位 understand; its admin flow keeps uploads in files or the cache between preview and
confirm, where a signed form needs nothing kept.

Columns, by their headers (order free; "建筑面积（㎡）" and "建筑面积" are the same): 房型 (a
room type of the project's 房型租金列表), 楼号, 单元 (选填), 楼层, 房号, 建筑面积 (选填: the
房型's), 朝向, 月租金 (选填: the 房型's), 居室数 (选填: read from the 房型, 开间 is 0).
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django import forms
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from allocation.models import AllocationEvent, Home
from plans.models import PlanProject
from projects.models import RentItem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
EXTENSIONS = (".xlsx", ".csv")
SIGNING_SALT = "allocation.homes.import"
# A preview may be confirmed within this many seconds.
PREVIEW_SECONDS = 3600

COLUMNS = {
    "房型": "room_type",
    "楼号": "building",
    "单元": "unit",
    "楼层": "floor",
    "房号": "number",
    "建筑面积": "area",
    "朝向": "orientation",
    "月租金": "monthly_rent",
    "居室数": "bedrooms",
}
REQUIRED_COLUMNS = ("房型", "楼号", "楼层", "房号", "朝向")
NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


class SheetError(Exception):
    """The file cannot be read as a sheet of homes; the message is for staff."""


class HomeRow(forms.Form):
    """One row of the sheet, as its cells' text."""

    room_type = forms.CharField(label="房型", max_length=50)
    building = forms.CharField(label="楼号", max_length=20)
    unit = forms.CharField(label="单元", max_length=20, required=False)
    floor = forms.IntegerField(label="楼层", min_value=-5, max_value=200)
    number = forms.CharField(label="房号", max_length=20)
    area = forms.DecimalField(
        label="建筑面积", max_digits=6, decimal_places=2, min_value=Decimal("1"), required=False
    )
    orientation = forms.CharField(label="朝向", max_length=20)
    monthly_rent = forms.IntegerField(label="月租金", min_value=1, required=False)
    bedrooms = forms.IntegerField(label="居室数", min_value=0, max_value=9, required=False)

    def __init__(self, *args, rent_items: dict[str, list[RentItem]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rent_items = rent_items

    def clean(self) -> dict:
        data = super().clean()
        room_type = data.get("room_type")
        if not room_type:
            return data
        items = self.rent_items.get(room_type, [])
        if not items:
            names = "、".join(self.rent_items) or "（本项目还没有房型租金）"
            self.add_error("room_type", f"本项目的房型租金列表中没有“{room_type}”，可选：{names}。")
            return data
        if len(items) > 1:
            self.add_error(
                "room_type",
                f"本项目有多条房型为“{room_type}”的租金记录，请先在房型租金中区分名称。",
            )
            return data
        item = items[0]
        data["rent_item"] = item
        if data.get("area") is None:
            data["area"] = item.area
        if data.get("monthly_rent") is None:
            data["monthly_rent"] = item.monthly_rent
        if data.get("bedrooms") is None:
            bedrooms = bedrooms_of(room_type)
            if bedrooms is None:
                self.add_error("bedrooms", f"无法从房型“{room_type}”判断居室数，请填写“居室数”列。")
            data["bedrooms"] = bedrooms
        return data


def bedrooms_of(room_type: str) -> int | None:
    """开间 → 0, 一居室 → 1, 两居室 → 2, 3居室 → 3; None when the name does not say."""
    if "开间" in room_type or "单间" in room_type:
        return 0
    found = re.search(r"([一二两三四五1-5])\s*(?:居|室)", room_type)
    if not found:
        return None
    word = found.group(1)
    return int(word) if word.isdigit() else NUMERALS[word]


@dataclass
class Row:
    line: int  # as the spreadsheet numbers it (the header is line 1)
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    cleaned: dict = field(default_factory=dict)


@dataclass
class Preview:
    offering: PlanProject
    rows: list[Row]
    problems: list[str] = field(default_factory=list)  # of the whole file
    warnings: list[str] = field(default_factory=list)  # counts that do not match

    @property
    def valid(self) -> bool:
        return bool(self.rows) and not self.problems and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    def payload(self, user: User) -> str:
        """The checked rows, signed for the confirmation form."""
        rows = [[row.line, row.cells] for row in self.rows]
        return signing.dumps(
            {"offering": self.offering.pk, "user": user.pk, "rows": rows},
            salt=SIGNING_SALT,
            compress=True,
        )


def read_sheet(name: str, content: bytes) -> list[tuple[int, list[str]]]:
    """(line, cells as text) of every row of the file's first sheet, the header first."""
    lower = name.lower()
    if lower.endswith(".xls"):
        raise SheetError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传。")
    if not lower.endswith(EXTENSIONS):
        raise SheetError("只支持 .xlsx 和 .csv 文件。")
    if len(content) > MAX_BYTES:
        raise SheetError("文件不能超过 5 MB。")
    if lower.endswith(".csv"):
        return _read_csv(content)
    return _read_xlsx(content)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def _read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any bytes but a few
        raise SheetError("无法识别文件编码，请另存为 UTF-8 编码的 CSV 文件后上传。")
    if "\x00" in text:
        raise SheetError("文件中有无法识别的字符，请确认上传的是 CSV 文件。")
    rows = []
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        rows.append((line, [_text(cell) for cell in cells]))
        if line > MAX_ROWS + 1:
            raise SheetError(f"一次最多导入 {MAX_ROWS} 套房源。")
    return rows


def _read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise SheetError(
            "无法读取该 Excel 文件，请确认是 .xlsx 格式，或另存为 .csv 后上传。"
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((line, [_text(cell) for cell in cells]))
            if line > MAX_ROWS + 1:
                raise SheetError(f"一次最多导入 {MAX_ROWS} 套房源。")
        return rows
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise SheetError("Excel 文件内容无法读取，请另存为 .csv 后上传。") from error
    finally:
        workbook.close()


def header_name(cell: str) -> str:
    """建筑面积（㎡） and 建筑面积(m2) are 建筑面积."""
    return re.split(r"[（(]", cell.replace(" ", ""), maxsplit=1)[0]


def rent_items_by_type(offering: PlanProject) -> dict[str, list[RentItem]]:
    items: dict[str, list[RentItem]] = {}
    for item in RentItem.objects.filter(project_id=offering.project_id):
        items.setdefault(item.room_type.strip(), []).append(item)
    return items


def preview(offering: PlanProject, name: str, content: bytes) -> Preview:
    """Read and check a sheet for the offering; nothing is saved."""
    sheet = [(line, cells) for line, cells in read_sheet(name, content) if any(cells)]
    if not sheet:
        raise SheetError("文件中没有内容。")
    (_line, header), body = sheet[0], sheet[1:]
    names = [header_name(cell) for cell in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise SheetError(
            f"第 1 行应为表头，缺少列：{'、'.join(missing)}。可用的列：{'、'.join(COLUMNS)}。"
        )
    if not body:
        raise SheetError("表头下面没有房源。")
    rows = []
    for line, cells in body:
        values = {
            COLUMNS[column]: cells[index] if index < len(cells) else ""
            for index, column in enumerate(names)
            if column in COLUMNS
        }
        rows.append(Row(line, values))
    return check_rows(offering, rows)


def check_rows(offering: PlanProject, rows: list[Row]) -> Preview:
    """Each row as a form, then duplicates within the sheet and against what is stored."""
    items = rent_items_by_type(offering)
    seen: dict[tuple[str, str, str], int] = {}
    stored = set(Home.objects.filter(offering=offering).values_list("building", "unit", "number"))
    for row in rows:
        form = HomeRow(row.cells, rent_items=items)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                row.errors += [f"{label}：{error}" if label else str(error) for error in errors]
            continue
        row.cleaned = form.cleaned_data
        key = (row.cleaned["building"], row.cleaned["unit"], row.cleaned["number"])
        if key in seen:
            row.errors.append(f"与第 {seen[key]} 行的楼号、单元、房号相同。")
        elif key in stored:
            row.errors.append("该房源已经导入过。")
        seen.setdefault(key, row.line)
    result = Preview(offering=offering, rows=rows)
    if all(not row.errors for row in rows):
        result.warnings = count_warnings(offering, adding=[row.cleaned for row in rows])
    return result


def from_payload(payload: str, *, user: User) -> tuple[PlanProject, list[Row]]:
    try:
        data = signing.loads(payload, salt=SIGNING_SALT, max_age=PREVIEW_SECONDS)
    except signing.BadSignature:
        raise SheetError("预览已过期或无效，请重新上传文件。") from None
    if data.get("user") != user.pk:
        raise SheetError("预览已过期或无效，请重新上传文件。")
    offering = (
        PlanProject.objects.select_related("plan", "project").filter(pk=data["offering"]).first()
    )
    if offering is None:
        raise SheetError("该配租项目已不存在，请重新上传文件。")
    return offering, [Row(line, cells) for line, cells in data["rows"]]


def save(payload: str, *, by: User) -> tuple[PlanProject, list[Home]]:
    """确认导入: check the previewed rows again and save them all, or none."""
    offering, rows = from_payload(payload, user=by)
    with transaction.atomic():
        # The offering's row lock: two confirmations of one preview save it once.
        PlanProject.objects.select_for_update().get(pk=offering.pk)
        checked = check_rows(offering, rows)
        if not checked.valid:
            raise SheetError("部分房源在预览后已有变化（如已被导入），请重新上传文件。")
        now = timezone.now()
        homes = Home.objects.bulk_create(
            Home(
                offering=offering,
                rent_item=row.cleaned["rent_item"],
                building=row.cleaned["building"],
                unit=row.cleaned["unit"],
                floor=row.cleaned["floor"],
                number=row.cleaned["number"],
                area=row.cleaned["area"],
                orientation=row.cleaned["orientation"],
                monthly_rent=row.cleaned["monthly_rent"],
                bedrooms=row.cleaned["bedrooms"],
                imported_at=now,
                imported_by=by,
            )
            for row in checked.rows
        )
        AllocationEvent.objects.create(
            plan=offering.plan,
            kind=AllocationEvent.Kind.HOMES_IMPORTED,
            detail=f"{offering.project.name}：{len(homes)} 套",
            actor=by,
            created_at=now,
        )
        changed(offering.plan_id)
    return offering, homes


def count_warnings(offering: PlanProject, *, adding: list[dict] = ()) -> list[str]:
    """Where the homes (with `adding`) differ from the announced 房源套数: each rent item's, and
    the plan's 配租房源套数 for the project."""
    counts = dict(
        Home.objects.filter(offering=offering)
        .values_list("rent_item")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in adding:
        counts[row["rent_item"].pk] = counts.get(row["rent_item"].pk, 0) + 1
    warnings = []
    for item in RentItem.objects.filter(project_id=offering.project_id):
        have = counts.get(item.pk, 0)
        if have != item.homes:
            warnings.append(
                f"房型“{item.room_type} {item.area}㎡”公布的房源套数为 {item.homes} 套，"
                f"已导入（含本次）{have} 套。"
            )
    total = sum(counts.values())
    if total != offering.homes:
        warnings.append(
            f"配租计划中该项目的配租房源套数为 {offering.homes} 套，已导入（含本次）{total} 套。"
        )
    return warnings


def home_counts(offering_ids) -> dict[int, tuple[int, int]]:
    """(房源 imported, still 可选) for each offering that has homes: what 项目详情 shows beside
    已登记人数 (projects.views reads it through this function only)."""
    rows = (
        Home.objects.filter(offering_id__in=list(offering_ids))
        .values_list("offering_id")
        .annotate(
            total=Count("pk"),
            free=Count("pk", filter=Q(state=Home.State.AVAILABLE)),
        )
        .order_by()
    )
    return {offering_id: (total, free) for offering_id, total, free in rows}


def changed(plan_id: int) -> None:
    """After commit: the boards and queues that count these homes are no longer true."""
    from allocation import board, turns
    from allocation.models import Session

    for session in Session.objects.filter(plan_id=plan_id, turns__state="waiting").distinct():
        turns.changed(session)
    transaction.on_commit(lambda: board.forget(plan_id))


def set_withheld(homes, *, withheld: bool, by: User) -> int:
    """暂不可选 / 恢复可选 for homes that are 可选 / 暂不可选; how many changed. The running
    sessions' queues are settled first, so a home coming back cannot change what has been."""
    from allocation import turns
    from allocation.models import Session

    source = Home.State.AVAILABLE if withheld else Home.State.WITHHELD
    target = Home.State.WITHHELD if withheld else Home.State.AVAILABLE
    kind = AllocationEvent.Kind.HOME_WITHHELD if withheld else AllocationEvent.Kind.HOME_RESTORED
    changed_homes = 0
    with transaction.atomic():
        homes = list(homes.filter(state=source).select_related("offering"))
        for plan_id in {home.offering.plan_id for home in homes}:
            for session in Session.objects.filter(
                plan_id=plan_id, starts_at__lte=timezone.now(), turns__state="waiting"
            ).distinct():
                turns.settle(turns.lock(session))
        for home in homes:
            if Home.objects.filter(pk=home.pk, state=source).update(state=target):
                changed_homes += 1
                AllocationEvent.objects.create(
                    plan_id=home.offering.plan_id, home=home, kind=kind, actor=by
                )
        for plan_id in {home.offering.plan_id for home in homes}:
            changed(plan_id)
    return changed_homes
