"""摇号: a plan's draw, its frozen entries and the priority groups drawn separately.

A Draw exists from the moment staff 冻结名单: its entries are then fixed, each with a public
pseudonymous code, and the SHA-256 of the list is published before anyone knows the seed,
together with the seed's sources (SeedSource): public numbers that become known only after the
freeze. The draw itself fills in the sources' numbers, the seed computed from them and every
entry's 顺序号, once. After that nothing changes: the check constraints below tie the state to
the fields it needs, and migrations 0002 and 0004 add triggers that refuse any UPDATE of a
drawn draw, of its entries or of its sources, on SQLite and on PostgreSQL alike.
The algorithm is in lottery/verify.py, the steps in lottery/draw.py.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Length, Replace
from django.urls import reverse

from applications.models import Progress, Registration
from lottery import verify
from plans.models import Plan, PlanProject

# The database's own check of the canonical decimal form (lottery/verify.py): numbers without
# leading zeros, at most 18 digits, separated by one space.
NUMBERS = rf"{verify.NUMBER}(?: {verify.NUMBER})*"
# Numbers one seed source may give: a lottery gives 5 to 20, a notary a handful.
MAX_NUMBERS = 50


class Eligibility(models.TextChoices):
    """Who enters the draw, chosen when the list is frozen."""

    # Cancelled registrations withdrew and rejected ones were decided against: neither draws.
    ACTIVE = "active", "全部有效登记（已登记、审核中、审核通过）"
    APPROVED = "approved", "仅审核通过"

    def progresses(self) -> list[str]:
        if self == Eligibility.APPROVED:
            return [Progress.APPROVED]
        return [Progress.REGISTERED, Progress.REVIEWING, Progress.APPROVED]


class SeedRule(models.TextChoices):
    """Where a draw's seed comes from (lottery/verify.py says each rule in full)."""

    # Draws made before seeds came from public numbers: staff typed the seed at the draw.
    TYPED = verify.TYPED_SEED_RULE, "工作人员录入的种子"
    RFC3797 = verify.SEED_RULE, "由预告来源的公开号码计算（RFC 3797，SHA-256）"


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
    seed_rule = models.CharField("种子规则", max_length=40, choices=SeedRule.choices)
    # Typed-seed draws only: the source announced in words. Later draws declare SeedSources.
    announced_seed_source = models.CharField(
        "预告的种子来源",
        max_length=200,
        blank=True,
        help_text="摇号前公布种子从何而来，例如：2026年12月20日 北京市方正公证处 公开摇出的号码。",
    )
    frozen_at = models.DateTimeField("冻结时间")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="冻结人"
    )
    # The seed the order is computed with: typed by staff, or the SHA-256 of the sources'
    # canonical string. seed_source is the source typed with a typed seed.
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
                condition=Q(seed_rule__in=[SeedRule.TYPED, SeedRule.RFC3797]),
                name="draw_seed_rule_known",
            ),
            models.CheckConstraint(
                condition=Q(state="frozen", seed="", seed_source="", drawn_at=None, drawn_by=None)
                | (
                    Q(state="drawn", drawn_at__isnull=False, drawn_by__isnull=False)
                    & (
                        (Q(seed_rule=SeedRule.TYPED) & ~Q(seed="") & ~Q(seed_source=""))
                        | Q(
                            seed_rule=SeedRule.RFC3797,
                            seed__regex=r"^[0-9a-f]{64}$",
                            seed_source="",
                        )
                    )
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
    def seeded_by_sources(self) -> bool:
        """The seed is computed from the announced sources' numbers (RFC 3797)."""
        return self.seed_rule == SeedRule.RFC3797

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


class SeedSource(models.Model):
    """A public source of the seed, announced when the list is frozen (RFC 3797): a lottery's
    winning numbers, or numbers a notary draws in public. Its numbers become known only after
    the freeze, at `known_at`; at the draw staff enter them, once, and the seed is computed
    from the numbers of all the draw's sources (lottery/verify.py)."""

    # No index of its own: the unique (draw, position) index serves every lookup by draw.
    draw = models.ForeignKey(
        Draw,
        on_delete=models.PROTECT,
        related_name="seed_sources",
        verbose_name="摇号",
        db_index=False,
    )
    position = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("种子来源", max_length=200)
    known_at = models.DateTimeField("号码公布时间")
    count = models.PositiveSmallIntegerField("号码个数")
    ordered = models.BooleanField("按开出顺序计入", default=False)
    # Canonical decimal numbers (no leading zeros) separated by one space, in the order entered;
    # empty until the draw.
    numbers = models.CharField("开出的号码", max_length=1000, blank=True)

    class Meta:
        verbose_name = "种子来源"
        verbose_name_plural = "种子来源"
        ordering = ["draw", "position"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="seed_source_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="seed_source_from_one"),
            models.CheckConstraint(
                condition=Q(count__gte=1, count__lte=MAX_NUMBERS), name="seed_source_count"
            ),
            models.CheckConstraint(
                condition=Q(numbers="") | Q(numbers__regex=rf"^{NUMBERS}$"),
                name="seed_source_numbers_canonical",
            ),
            models.CheckConstraint(
                # As many numbers as announced: one more than the spaces between them.
                condition=Q(numbers="")
                | Q(count=Length("numbers") - Length(Replace("numbers", Value(" "))) + 1),
                name="seed_source_numbers_counted",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def number_list(self) -> list[int]:
        return [int(number) for number in self.numbers.split()]

    @property
    def rule_text(self) -> str:
        order = "按开出顺序计入" if self.ordered else "从小到大排序后计入"
        return f"{self.count} 个号码，{order}"

    def as_source(self) -> verify.Source:
        """The source with its numbers, as lottery/verify.py computes the seed from it."""
        return verify.Source(self.name, self.ordered, tuple(self.number_list))


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
