"""摇号: a plan's draw, its frozen entries and the priority groups drawn separately.

A Draw exists from the moment staff 冻结名单: its entries are then fixed, each with a public
pseudonymous code, and the SHA-256 of the list is published before anyone knows the seed. The
draw itself fills in the seed and every entry's 顺序号, once. After that nothing changes: the
check constraints below tie the state to the fields it needs, and migration 0002 adds triggers
that refuse any UPDATE of a drawn draw or of its entries, on SQLite and on PostgreSQL alike.
The algorithm is in lottery/verify.py, the steps in lottery/draw.py.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from applications.models import Progress, Registration
from plans.models import Plan, PlanProject


class Eligibility(models.TextChoices):
    """Who enters the draw, chosen when the list is frozen."""

    # Cancelled registrations withdrew and rejected ones were decided against: neither draws.
    ACTIVE = "active", "全部有效登记（已登记、审核中、审核通过）"
    APPROVED = "approved", "仅审核通过"

    def progresses(self) -> list[str]:
        if self == Eligibility.APPROVED:
            return [Progress.APPROVED]
        return [Progress.REGISTERED, Progress.REVIEWING, Progress.APPROVED]


class Draw(models.Model):
    """摇号 of one plan: the frozen list of entries, then the seed and the order."""

    class State(models.TextChoices):
        FROZEN = "frozen", "名单已冻结"
        DRAWN = "drawn", "已摇号"

    plan = models.OneToOneField(
        Plan, on_delete=models.PROTECT, related_name="draw", verbose_name="配租计划"
    )
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.FROZEN)
    eligibility = models.CharField("参加摇号的登记", max_length=20, choices=Eligibility.choices)
    # The groups as they were when the list was frozen: [{"name": …, "projects": [names]}],
    # group 1 first. Entries refer to them by number, so later edits of the plan's groups
    # cannot change what was published.
    groups = models.JSONField("摇号分组", default=list)
    entry_count = models.PositiveIntegerField("参加摇号人数")
    list_sha256 = models.CharField("名单 SHA-256", max_length=64)
    algorithm = models.CharField("算法", max_length=40)
    announced_seed_source = models.CharField(
        "预告的种子来源",
        max_length=200,
        help_text="摇号前公布种子从何而来，例如：2026年12月20日 北京市方正公证处 公开摇出的号码。",
    )
    frozen_at = models.DateTimeField("冻结时间")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="冻结人"
    )
    seed = models.CharField("种子", max_length=200, blank=True)
    seed_source = models.CharField("种子来源", max_length=200, blank=True)
    drawn_at = models.DateTimeField("摇号时间", null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="摇号人",
    )

    class Meta:
        verbose_name = "摇号"
        verbose_name_plural = "摇号"
        ordering = ["-frozen_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["frozen", "drawn"]), name="draw_state_known"
            ),
            models.CheckConstraint(
                condition=Q(state="frozen", seed="", seed_source="", drawn_at=None, drawn_by=None)
                | (
                    Q(state="drawn", drawn_at__isnull=False, drawn_by__isnull=False)
                    & ~Q(seed="")
                    & ~Q(seed_source="")
                ),
                name="draw_seed_iff_drawn",
            ),
            models.CheckConstraint(
                condition=Q(list_sha256__regex=r"^[0-9a-f]{64}$"), name="draw_list_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · 摇号"

    def get_absolute_url(self) -> str:
        return reverse("lottery:result", args=[self.plan_id])

    @property
    def is_drawn(self) -> bool:
        return self.state == self.State.DRAWN

    @property
    def grouped(self) -> bool:
        """Several priority groups: entries.txt then shows each entry's group number."""
        return len(self.groups) > 1

    def group_name(self, number: int) -> str:
        return self.groups[number - 1]["name"]


class Entry(models.Model):
    """One frozen registration in a draw, known to the public only by its code."""

    # No index of its own: the unique (draw, code) index serves every lookup by draw.
    draw = models.ForeignKey(
        Draw,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name="摇号",
        db_index=False,
    )
    registration = models.OneToOneField(
        Registration,
        on_delete=models.PROTECT,
        related_name="lottery_entry",
        verbose_name="配租登记",
    )
    code = models.CharField("摇号编码", max_length=10)
    group = models.PositiveSmallIntegerField("分组")
    position = models.PositiveIntegerField("顺序号", null=True, blank=True)
    overall_position = models.PositiveIntegerField("总顺序号", null=True, blank=True)

    class Meta:
        verbose_name = "摇号名单"
        verbose_name_plural = "摇号名单"
        ordering = ["draw", "overall_position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "code"], name="entry_code_unique_in_draw"),
            models.UniqueConstraint(
                fields=["draw", "overall_position"], name="entry_overall_position_unique"
            ),
            models.UniqueConstraint(
                fields=["draw", "group", "position"], name="entry_position_unique_in_group"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9A-HJKMNP-TV-Z]{10}$"), name="entry_code_format"
            ),
            models.CheckConstraint(condition=Q(group__gte=1), name="entry_group_from_one"),
            models.CheckConstraint(
                condition=Q(position=None, overall_position=None)
                | Q(position__gte=1, overall_position__gte=F("position")),
                name="entry_positions_together",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def group_name(self) -> str:
        return self.draw.group_name(self.group)


class PriorityGroup(models.Model):
    """A priority group of a plan: entries for its projects are drawn together, and before the
    entries of the groups that follow. A plan without groups draws everyone in one group."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="priority_groups", verbose_name="配租计划"
    )
    position = models.PositiveSmallIntegerField("摇号顺序", help_text="1 表示最先摇号的分组。")
    name = models.CharField("分组名称", max_length=50)
    offerings = models.ManyToManyField(
        PlanProject,
        through="PriorityGroupOffering",
        related_name="priority_groups",
        verbose_name="项目小区",
    )

    class Meta:
        verbose_name = "摇号分组"
        verbose_name_plural = "摇号分组"
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="priority_group_position"),
            models.UniqueConstraint(fields=["plan", "name"], name="priority_group_name"),
            models.CheckConstraint(condition=Q(position__gte=1), name="priority_group_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.name}"


class PriorityGroupOffering(models.Model):
    """A project of the plan in a priority group; a project is in one group at most."""

    group = models.ForeignKey(
        PriorityGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name="分组"
    )
    offering = models.OneToOneField(
        PlanProject,
        on_delete=models.CASCADE,
        related_name="priority_group_membership",
        verbose_name="项目小区",
    )

    class Meta:
        verbose_name = "分组项目"
        verbose_name_plural = "分组项目"

    def __str__(self) -> str:
        return str(self.offering.project)

    def clean(self) -> None:
        try:
            group, offering = self.group, self.offering
        except ObjectDoesNotExist:
            return  # reported as a missing field
        if offering.plan_id != group.plan_id:
            raise ValidationError({"offering": "只能选择本配租计划的项目小区。"})
