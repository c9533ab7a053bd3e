"""manage.py verify_lottery, and the standalone verifier run on the site's own files."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lottery import publication, verify
from lottery.models import Draw
from tests.lottery.factories import SEED, make_drawn_draw, make_ended_plan, make_frozen_draw

pytestmark = pytest.mark.django_db


def verify_lottery(*args: str) -> str:
    out = StringIO()
    call_command("verify_lottery", *args, stdout=out)
    return out.getvalue()


def test_agrees_with_the_database_from_the_published_files():
    draw = make_drawn_draw(count=50)
    output = verify_lottery(str(draw.plan_id))
    assert f"名单 SHA-256：{draw.list_sha256}" in output
    assert "顺序一致：50 条" in output


def test_agrees_from_a_downloaded_list_and_the_announced_seed(tmp_path):
    draw = make_drawn_draw(count=20)
    entries = tmp_path / "entries.txt"
    entries.write_bytes(publication.entries_text(draw).encode())
    output = verify_lottery(str(draw.plan_id), "--entries", str(entries), "--seed", SEED)
    assert "顺序一致：20 条" in output


def test_standalone_verifier_agrees_with_the_database(tmp_path):
    draw = make_drawn_draw(count=30)
    (tmp_path / "entries.txt").write_bytes(publication.entries_text(draw).encode())
    (tmp_path / "result.txt").write_bytes(publication.result_text(draw).encode())
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "lottery.verify", "entries.txt", SEED, "--result", "result.txt"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(verify.__file__).parent.parent)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"entries-sha256 {draw.list_sha256}" in done.stdout
    positions = dict(draw.entries.values_list("code", "overall_position"))
    printed = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "lottery.verify", "entries.txt", SEED],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(verify.__file__).parent.parent)},
        check=True,
    ).stdout.splitlines()[3:]
    assert {line.split()[3]: int(line.split()[0]) for line in printed} == positions


def test_reports_a_different_seed():
    draw = make_drawn_draw(count=20)
    with pytest.raises(CommandError, match="不一致"):
        verify_lottery(str(draw.plan_id), "--seed", "08 15 23 31 48")


def test_reports_a_list_that_is_not_the_frozen_one(tmp_path):
    draw = make_drawn_draw(count=5)
    codes = publication.entries_text(draw).split("\n")
    codes[0] = "0000000000"
    entries = tmp_path / "entries.txt"
    entries.write_text("\n".join(sorted(codes)))
    with pytest.raises(CommandError, match="与冻结时公布的 SHA-256 不一致"):
        verify_lottery(str(draw.plan_id), "--entries", str(entries))


def test_checks_only_the_hash_before_the_draw():
    draw = make_frozen_draw(count=5)
    output = verify_lottery(str(draw.plan_id))
    assert "与冻结时公布的一致（5 条）" in output
    assert "尚未摇号" in output


def test_refuses_a_plan_without_a_frozen_list():
    plan = make_ended_plan()
    with pytest.raises(CommandError, match="尚未冻结"):
        verify_lottery(str(plan.pk))
    assert not Draw.objects.exists()
