"""After the draw: 房源, 资格复核, 选房 turns, the chosen homes, 签约 and their history.

The 顺序号 the draw gave each entrant (lottery.Entry.position, within its group) is the order of
everything here (PRODUCT.md, "After the draw"):

1. Home: the concrete homes of a plan's project, imported by staff (allocation/homes.py), each
   可选 / 已选 / 已签约 / 暂不可选.
2. Recheck: 资格复核 of an entrant, called by staff in 顺序号 order; those not called are 候补.
3. Session and Turn: a 选房场次 of one group, and each passed entrant's turn in it. The turn
   that is running is not stored: it is computed from the session's start, the recorded ends of
   earlier turns and the minutes per turn (allocation/turns.py), so any read knows the truth
   without waiting for a worker.
4. Choice: the home an entrant chose (确认选房), with its 选房确认书 number, its 签约 slot and
   deadline. Partial unique constraints make one home per entrant and one entrant per home a
   fact of the database, whatever the views do.
5. SigningSlot: a 签约 time with a capacity; its `booked` counter cannot pass it (a check
   constraint, and bookings add to it with one conditional UPDATE).
6. AllocationEvent: every change of state, with who and when; the entrant's 配租记录 shows them.

Nothing is deleted: a released home returns to 可选 and its Choice stays 已释放.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from applications.models import REFERENCE_ALPHABET, Document, DocumentCheck, Registration
from lottery.models import Entry
from plans.models import Plan, PlanProject
from projects.models import RentItem


def new_code(length: int = 12) -> str:
    """A random code without characters that read alike (printed under a QR code)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


class Home(models.Model):
    """房源: one concrete home of a plan's project, counted under a row of its rent list."""

    class State(models.TextChoices):
        AVAILABLE = "available", "可选"
        CHOSEN = "chosen", "已选"
        SIGNED = "signed", "已签约"
        WITHHELD = "withheld", "暂不可选"

    offering = models.ForeignKey(
        PlanProject,
        on_delete=models.PROTECT,
        related_name="allocation_homes",
        verbose_name="配租项目",
    )
    rent_item = models.ForeignKey(
        RentItem, on_delete=models.PROTECT, related_name="allocation_homes", verbose_name="房型"
    )
    building = models.CharField("楼号", max_length=20)
    unit = models.CharField("单元", max_length=20, blank=True)
    floor = models.SmallIntegerField("楼层")
    number = models.CharField("房号", max_length=20)
    area = models.DecimalField("建筑面积（㎡）", max_digits=6, decimal_places=2)
    orientation = models.CharField("朝向", max_length=20)
    monthly_rent = models.PositiveIntegerField("月租金（元/月）")
    # 0 for a 开间; the household-size rule of 选房 reads it (allocation/rules.py).
    bedrooms = models.PositiveSmallIntegerField("居室数")
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.AVAILABLE)
    imported_at = models.DateTimeField("导入时间", default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="导入人",
    )

    class Meta:
        verbose_name = "房源"
        verbose_name_plural = "房源"
        ordering = ["offering", "building", "unit", "floor", "number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "building", "unit", "number"],
                name="home_unique_in_offering",
                violation_error_message="该项目中已有相同楼号、单元和房号的房源。",
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="home_area_positive"),
            models.CheckConstraint(condition=Q(monthly_rent__gt=0), name="home_rent_positive"),
            models.CheckConstraint(condition=Q(bedrooms__lte=9), name="home_bedrooms_known"),
            models.CheckConstraint(
                condition=Q(state__in=["available", "chosen", "signed", "withheld"]),
                name="home_state_known",
            ),
        ]
        indexes = [models.Index(fields=["offering", "state"], name="home_offering_state")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """3号楼2单元1203: what the board, the 确认书 and the texts call the home."""
        building = self.building if self.building.endswith("号楼") else f"{self.building}号楼"
        unit = ""
        if self.unit:
            unit = self.unit if self.unit.endswith("单元") else f"{self.unit}单元"
        return f"{building}{unit}{self.number}"


class ChoosingPolicy(models.Model):
    """选房规则 a plan sets beyond its projects (allocation/rules.py states and checks them)."""

    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, related_name="choosing_policy", verbose_name="配租计划"
    )
    bedrooms_by_household = models.BooleanField(
        "按家庭人数选择居室",
        default=False,
        help_text="勾选后，两居室及以上的房源只能由家庭人数（含申请人）不少于居室数的家庭选择。",
    )
    follows_preferred_room = models.BooleanField(
        "按意向户型选房",
        default=False,
        help_text="勾选后，填报了意向户型的申请人只能选择该户型的房源。",
    )

    class Meta:
        verbose_name = "选房规则"
        verbose_name_plural = "选房规则"

    def __str__(self) -> str:
        return f"{self.plan} · 选房规则"


class Recheck(models.Model):
    """资格复核 of one entrant, called by staff in 顺序号 order after the draw."""

    class State(models.TextChoices):
        REVIEWING = "reviewing", "复核中"
        PASSED = "passed", "复核通过"
        FAILED = "failed", "复核不通过"

    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, related_name="recheck", verbose_name="摇号名单"
    )
    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="recheck", verbose_name="配租登记"
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="rechecks", verbose_name="配租计划"
    )
    group = models.PositiveSmallIntegerField("分组")
    position = models.PositiveIntegerField("顺序号")
    state = models.CharField(
        "复核结果", max_length=20, choices=State.choices, default=State.REVIEWING
    )
    reason = models.CharField("不通过原因", max_length=300, blank=True)
    called_at = models.DateTimeField("开始复核时间", default=timezone.now)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="开放人"
    )
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="复核人",
    )

    class Meta:
        verbose_name = "资格复核"
        verbose_name_plural = "资格复核"
        ordering = ["plan", "group", "position"]
        permissions = [("review_recheck", "可以进行资格复核（通过或不通过）")]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "group", "position"], name="recheck_position_unique"
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | ~Q(reason=""), name="recheck_failure_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(state="reviewing", decided_at=None)
                | (Q(state__in=["passed", "failed"]) & Q(decided_at__isnull=False)),
                name="recheck_decided_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"第 {self.position} 号 · {self.registration}"

    @property
    def is_passed(self) -> bool:
        return self.state == self.State.PASSED


class RecheckDocumentCheck(models.Model):
    """A reviewer's check of one uploaded copy during 资格复核 (as DocumentCheck does for the
    registration's review)."""

    recheck = models.ForeignKey(
        Recheck, on_delete=models.CASCADE, related_name="document_checks", verbose_name="资格复核"
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="recheck_checks", verbose_name="材料"
    )
    verdict = models.CharField("核验结果", max_length=20, choices=DocumentCheck.Verdict.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="核验人"
    )
    checked_at = models.DateTimeField("核验时间", default=timezone.now)

    class Meta:
        verbose_name = "复核材料核验"
        verbose_name_plural = "复核材料核验"
        constraints = [
            models.UniqueConstraint(
                fields=["recheck", "document"], name="one_recheck_check_per_document"
            ),
            models.CheckConstraint(
                condition=~Q(verdict="mismatch") | ~Q(note=""), name="recheck_mismatch_has_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} · {self.get_verdict_display()}"


class Session(models.Model):
    """选房场次 of one group of a plan's draw: who has passed 资格复核 chooses in 顺序号 order,
    each for at most `minutes_per_turn`; the next turn starts as soon as one ends."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="choosing_sessions", verbose_name="配租计划"
    )
    group = models.PositiveSmallIntegerField("分组")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField(
        "结束时间", help_text="此时间后不再开始新的选房；未轮到的申请人作为候补参加下一场。"
    )
    minutes_per_turn = models.PositiveSmallIntegerField("每人选房时间（分钟）")
    sign_by = models.DateTimeField("签约截止时间")
    created_at = models.DateTimeField("设置时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="设置人"
    )
    results_published_at = models.DateTimeField("选房结果公布时间", null=True, blank=True)
    results_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="公布人",
    )

    class Meta:
        verbose_name = "选房场次"
        verbose_name_plural = "选房场次"
        ordering = ["plan", "group", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(minutes_per_turn__gte=1, minutes_per_turn__lte=120),
                name="session_turn_minutes",
            ),
            models.CheckConstraint(
                condition=Q(sign_by__gt=F("ends_at")), name="session_signing_after_end"
            ),
        ]

    def __str__(self) -> str:
        starts = timezone.localtime(self.starts_at)
        return f"{self.plan} · 第 {self.group} 组 · 选房场次 {starts:%m-%d %H:%M}"

    @property
    def is_published(self) -> bool:
        return self.results_published_at is not None


class Turn(models.Model):
    """One entrant's turn in a session. While it waits it has no end; it ends when the entrant
    chooses or gives up, or, recorded afterwards, when its time ran out."""

    class State(models.TextChoices):
        WAITING = "waiting", "等待选房"
        CHOSEN = "chosen", "已选房"
        GAVE_UP = "gave_up", "放弃选房"
        EXPIRED = "expired", "逾期未选"
        SKIPPED = "skipped", "无可选房源"
        MISSED = "missed", "本场未轮到"

    # Final for the entrant: 放弃 and 逾期 (counted as 放弃, as plans state) and a chosen home.
    FINAL = (State.CHOSEN, State.GAVE_UP, State.EXPIRED)

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="turns", verbose_name="选房场次"
    )
    recheck = models.ForeignKey(
        Recheck, on_delete=models.PROTECT, related_name="turns", verbose_name="资格复核"
    )
    position = models.PositiveIntegerField("顺序号")
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.WAITING)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    reminded_at = models.DateTimeField("提醒短信时间", null=True, blank=True)

    class Meta:
        verbose_name = "选房顺序"
        verbose_name_plural = "选房顺序"
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="turn_position_unique"),
            models.UniqueConstraint(fields=["session", "recheck"], name="turn_once_per_session"),
            # An entrant waits in one session at a time.
            models.UniqueConstraint(
                fields=["recheck"], condition=Q(state="waiting"), name="turn_one_waiting"
            ),
            models.CheckConstraint(
                condition=Q(state="waiting", ended_at=None)
                | (~Q(state="waiting") & Q(ended_at__isnull=False)),
                name="turn_ended_unless_waiting",
            ),
        ]
        indexes = [
            models.Index(
                fields=["session", "position"],
                condition=Q(state="waiting"),
                name="turn_waiting_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"第 {self.position} 号 · {self.get_state_display()}"


class SigningSlot(models.Model):
    """签约 time published by staff; entrants who chose a home book one."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="signing_slots", verbose_name="配租计划"
    )
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    place = models.CharField("签约地点", max_length=200)
    capacity = models.PositiveIntegerField("可预约人数")
    booked = models.PositiveIntegerField("已预约人数", default=0, editable=False)

    class Meta:
        verbose_name = "签约时段"
        verbose_name_plural = "签约时段"
        ordering = ["plan", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="slot_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{start:%Y年%-m月%-d日 %H:%M}–{end:%H:%M} {self.place}"

    @property
    def left(self) -> int:
        return self.capacity - self.booked


class Choice(models.Model):
    """确认选房: the home an entrant chose in their turn, then 签约 or its release."""

    class State(models.TextChoices):
        CHOSEN = "chosen", "已选房，待签约"
        SIGNED = "signed", "已签约"
        RELEASED = "released", "已释放"

    HOLDING = (State.CHOSEN, State.SIGNED)

    number = models.CharField("确认书编号", max_length=20, unique=True)
    verification_code = models.CharField("核验码", max_length=16, unique=True)
    home = models.ForeignKey(
        Home, on_delete=models.PROTECT, related_name="choices", verbose_name="房源"
    )
    recheck = models.ForeignKey(
        Recheck, on_delete=models.PROTECT, related_name="choices", verbose_name="资格复核"
    )
    turn = models.OneToOneField(
        Turn, on_delete=models.PROTECT, related_name="choice", verbose_name="选房顺序"
    )
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.CHOSEN)
    chosen_at = models.DateTimeField("选房时间", default=timezone.now)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="选房人"
    )
    on_behalf = models.BooleanField("工作人员代为选房", default=False)
    sign_by = models.DateTimeField("签约截止时间")
    slot = models.ForeignKey(
        SigningSlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="choices",
        verbose_name="签约时段",
    )
    signed_at = models.DateTimeField("签约时间", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="签约登记人",
    )
    released_at = models.DateTimeField("释放时间", null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="释放人",
    )

    class Meta:
        verbose_name = "选房结果"
        verbose_name_plural = "选房结果"
        ordering = ["-chosen_at", "-id"]
        constraints = [
            # One entrant per home, one home per entrant: a released choice no longer holds.
            models.UniqueConstraint(
                fields=["home"],
                condition=Q(state__in=["chosen", "signed"]),
                name="one_holder_per_home",
                violation_error_message="该房源已被选定。",
            ),
            models.UniqueConstraint(
                fields=["recheck"],
                condition=Q(state__in=["chosen", "signed"]),
                name="one_home_per_entrant",
                violation_error_message="您已选定房源。",
            ),
            models.CheckConstraint(
                condition=Q(state="chosen", signed_at=None, released_at=None)
                | Q(state="signed", signed_at__isnull=False, released_at=None)
                | Q(state="released", signed_at=None, released_at__isnull=False),
                name="choice_state_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("allocation:turn", args=[self.recheck.registration.number])


class AllocationEvent(models.Model):
    """One change of state after the draw: the timeline of 配租记录 and of admin."""

    class Kind(models.TextChoices):
        CALLED = "called", "进入资格复核"
        PASSED = "passed", "资格复核通过"
        FAILED = "failed", "资格复核不通过"
        SESSION = "session", "选房通知"
        CHOSEN = "chosen", "确认选房"
        GAVE_UP = "gave_up", "放弃选房"
        EXPIRED = "expired", "逾期未选"
        SKIPPED = "skipped", "无可选房源，转为候补"
        MISSED = "missed", "本场未轮到，转为候补"
        BOOKED = "booked", "预约签约"
        SIGNED = "signed", "已签约"
        RELEASED = "released", "未按期签约，房源已释放"
        HOMES_IMPORTED = "homes_imported", "导入房源"
        HOME_WITHHELD = "home_withheld", "房源设为暂不可选"
        HOME_RESTORED = "home_restored", "房源恢复可选"

    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocation_events",
        verbose_name="配租登记",
    )
    home = models.ForeignKey(
        Home,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name="房源",
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="allocation_events", verbose_name="配租计划"
    )
    kind = models.CharField("事项", max_length=20, choices=Kind.choices)
    detail = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "选房记录"
        verbose_name_plural = "选房记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()
