"""Immutability in the database itself: once a draw is drawn, its row and its entries' rows
cannot be updated, whatever code (or person with a SQL prompt) tries. While the list is only
frozen, what was published (the entries, their groups, the list hash, the announced seed source)
cannot change either; only the draw fills in the seed and the 顺序号, once.

Deletions are left to PROTECT foreign keys and the admin (which deletes nothing): a DELETE
trigger would also stop the test database from being emptied between tests.
"""

from django.db import migrations

MESSAGE = "lottery: a frozen list and a drawn result cannot be changed"

DRAW_CHANGED = " OR ".join(
    f'NEW."{column}" {{differs}} OLD."{column}"'
    for column in (
        "plan_id", "eligibility", "groups", "entry_count", "list_sha256", "algorithm",
        "announced_seed_source", "frozen_at", "frozen_by_id",
    )
)
ENTRY_CHANGED = " OR ".join(
    f'NEW."{column}" {{differs}} OLD."{column}"'
    for column in ("draw_id", "registration_id", "code", "group")
)
DRAW_REFUSED = f"OLD.\"state\" = 'drawn' OR {DRAW_CHANGED}"
ENTRY_REFUSED = (
    f'OLD."position" IS NOT NULL OR OLD."overall_position" IS NOT NULL OR {ENTRY_CHANGED}'
)

SQLITE = [
    f"""CREATE TRIGGER lottery_draw_immutable BEFORE UPDATE ON lottery_draw
        WHEN {DRAW_REFUSED.format(differs="IS NOT")}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER lottery_entry_immutable BEFORE UPDATE ON lottery_entry
        WHEN {ENTRY_REFUSED.format(differs="IS NOT")}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS lottery_draw_immutable",
    "DROP TRIGGER IF EXISTS lottery_entry_immutable",
]

POSTGRESQL = [
    f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {refused.format(differs="IS DISTINCT FROM")} THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER {name} BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {name}()"""
    for name, table, refused in (
        ("lottery_draw_immutable", "lottery_draw", DRAW_REFUSED),
        ("lottery_entry_immutable", "lottery_entry", ENTRY_REFUSED),
    )
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS lottery_draw_immutable ON lottery_draw; "
    "DROP FUNCTION IF EXISTS lottery_draw_immutable()",
    "DROP TRIGGER IF EXISTS lottery_entry_immutable ON lottery_entry; "
    "DROP FUNCTION IF EXISTS lottery_entry_immutable()",
]


def run(statements: dict[str, list[str]]):
    def operation(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("lottery", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
