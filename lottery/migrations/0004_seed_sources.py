"""Seeds from public numbers (RFC 3797): a draw's seed rule, and the seed sources announced
when its list is frozen.

Draws made before keep their typed seed: every existing draw, frozen or drawn, gets the seed
rule "typed", under which its seed, seed source and published files stay exactly as they were.

The immutability triggers of 0002 are written again. On SQLite, Django changes a table's
columns and constraints by building a new table and dropping the old one, which drops its
triggers; on PostgreSQL the function is replaced. The draw's trigger now also guards its seed
rule, and a new one guards the seed sources: what was announced at freezing never changes, and
a source's numbers are written once, at the draw.
"""

import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.text
from django.db import migrations, models

MESSAGE = "lottery: a frozen list and a drawn result cannot be changed"


def changed(*columns: str) -> str:
    return " OR ".join(f'NEW."{column}" {{differs}} OLD."{column}"' for column in columns)


DRAW_FROZEN_0002 = (
    "plan_id", "eligibility", "groups", "entry_count", "list_sha256", "algorithm",
    "announced_seed_source", "frozen_at", "frozen_by_id",
)
DRAW_FROZEN = (*DRAW_FROZEN_0002, "seed_rule")
SOURCE_ANNOUNCED = ("draw_id", "position", "name", "known_at", "count", "ordered")

DRAW_REFUSED_0002 = f"OLD.\"state\" = 'drawn' OR {changed(*DRAW_FROZEN_0002)}"
DRAW_REFUSED = f"OLD.\"state\" = 'drawn' OR {changed(*DRAW_FROZEN)}"
SOURCE_REFUSED = f"OLD.\"numbers\" <> '' OR {changed(*SOURCE_ANNOUNCED)}"


def sqlite_trigger(name: str, table: str, refused: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"""CREATE TRIGGER {name} BEFORE UPDATE ON {table}
            WHEN {refused.format(differs="IS NOT")}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    ]


def postgresql_function(name: str, refused: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {refused.format(differs="IS DISTINCT FROM")} THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$"""


FORWARD = {
    "sqlite": [
        *sqlite_trigger("lottery_draw_immutable", "lottery_draw", DRAW_REFUSED),
        *sqlite_trigger("lottery_seedsource_immutable", "lottery_seedsource", SOURCE_REFUSED),
    ],
    "postgresql": [
        postgresql_function("lottery_draw_immutable", DRAW_REFUSED),
        postgresql_function("lottery_seedsource_immutable", SOURCE_REFUSED),
        """CREATE TRIGGER lottery_seedsource_immutable BEFORE UPDATE ON lottery_seedsource
            FOR EACH ROW EXECUTE FUNCTION lottery_seedsource_immutable()""",
    ],
}
# Run last when the migration is unapplied, once the table has its 0003 shape again.
BACKWARD = {
    "sqlite": sqlite_trigger("lottery_draw_immutable", "lottery_draw", DRAW_REFUSED_0002),
    "postgresql": [postgresql_function("lottery_draw_immutable", DRAW_REFUSED_0002)],
}
DROP_SOURCE_TRIGGER = {
    "sqlite": ["DROP TRIGGER IF EXISTS lottery_seedsource_immutable"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS lottery_seedsource_immutable ON lottery_seedsource; "
        "DROP FUNCTION IF EXISTS lottery_seedsource_immutable()"
    ],
}


def run(statements: dict[str, list[str]]):
    def operation(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("lottery", "0003_staff_permissions")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, run(BACKWARD)),
        migrations.AddField(
            model_name="draw",
            name="seed_rule",
            field=models.CharField(
                choices=[
                    ("typed", "工作人员录入的种子"),
                    ("rfc3797-sha256/1", "由预告来源的公开号码计算（RFC 3797，SHA-256）"),
                ],
                default="typed",  # every draw made so far
                max_length=40,
                verbose_name="种子规则",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="draw",
            name="announced_seed_source",
            field=models.CharField(
                blank=True,
                help_text="摇号前公布种子从何而来，例如：2026年12月20日 北京市方正公证处 公开摇出的号码。",
                max_length=200,
                verbose_name="预告的种子来源",
            ),
        ),
        migrations.RemoveConstraint(model_name="draw", name="draw_seed_iff_drawn"),
        migrations.AddConstraint(
            model_name="draw",
            constraint=models.CheckConstraint(
                condition=models.Q(("seed_rule__in", ["typed", "rfc3797-sha256/1"])),
                name="draw_seed_rule_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="draw",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("drawn_at", None),
                        ("drawn_by", None),
                        ("seed", ""),
                        ("seed_source", ""),
                        ("state", "frozen"),
                    ),
                    models.Q(
                        ("drawn_at__isnull", False),
                        ("drawn_by__isnull", False),
                        ("state", "drawn"),
                        models.Q(
                            models.Q(
                                ("seed_rule", "typed"),
                                models.Q(("seed", ""), _negated=True),
                                models.Q(("seed_source", ""), _negated=True),
                            ),
                            models.Q(
                                ("seed__regex", "^[0-9a-f]{64}$"),
                                ("seed_rule", "rfc3797-sha256/1"),
                                ("seed_source", ""),
                            ),
                            _connector="OR",
                        ),
                    ),
                    _connector="OR",
                ),
                name="draw_seed_iff_drawn",
            ),
        ),
        migrations.CreateModel(
            name="SeedSource",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(verbose_name="顺序")),
                ("name", models.CharField(max_length=200, verbose_name="种子来源")),
                ("known_at", models.DateTimeField(verbose_name="号码公布时间")),
                ("count", models.PositiveSmallIntegerField(verbose_name="号码个数")),
                ("ordered", models.BooleanField(default=False, verbose_name="按开出顺序计入")),
                ("numbers", models.CharField(blank=True, max_length=1000, verbose_name="开出的号码")),
                (
                    "draw",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="seed_sources",
                        to="lottery.draw",
                        verbose_name="摇号",
                    ),
                ),
            ],
            options={
                "verbose_name": "种子来源",
                "verbose_name_plural": "种子来源",
                "ordering": ["draw", "position"],
                "constraints": [
                    models.UniqueConstraint(fields=("draw", "position"), name="seed_source_position"),
                    models.CheckConstraint(condition=models.Q(("position__gte", 1)), name="seed_source_from_one"),
                    models.CheckConstraint(
                        condition=models.Q(("count__gte", 1), ("count__lte", 50)), name="seed_source_count"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("numbers", ""),
                            ("numbers__regex", "^(?:0|[1-9][0-9]{0,17})(?: (?:0|[1-9][0-9]{0,17}))*$"),
                            _connector="OR",
                        ),
                        name="seed_source_numbers_canonical",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("numbers", ""),
                            (
                                "count",
                                django.db.models.expressions.CombinedExpression(
                                    django.db.models.expressions.CombinedExpression(
                                        django.db.models.functions.text.Length("numbers"),
                                        "-",
                                        django.db.models.functions.text.Length(
                                            django.db.models.functions.text.Replace("numbers", models.Value(" "))
                                        ),
                                    ),
                                    "+",
                                    models.Value(1),
                                ),
                            ),
                            _connector="OR",
                        ),
                        name="seed_source_numbers_counted",
                    ),
                ],
            },
        ),
        migrations.RunPython(run(FORWARD), run(DROP_SOURCE_TRIGGER)),
    ]
