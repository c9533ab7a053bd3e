"""manage.py verify_lottery, and the standalone verifier run on the site's own files."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lottery import publication, verify
from lottery.models import Draw
from tests.lottery.factories import (
    CANONICAL,
    SEED,
    TYPED_SEED,
    make_drawn_draw,
    make_ended_plan,
    make_frozen_draw,
    make_typed_draw,
)

pytestmark = pytest.mark.django_db


def verify_lottery(*args: str) -> str:
    out = StringIO()
    call_command("verify_lottery", *args, stdout=out)
    return out.getvalue()


def test_agrees_with_the_database_from_the_published_files():
    draw = make_drawn_draw(count=50)
    output = verify_lottery(str(draw.plan_id))
    assert f"名单 SHA-256：{draw.list_sha256}" in output
    assert f"规范字符串：{CANONICAL}" in output
    assert f"种子与号码计算的一致：{SEED}" in output
    assert "顺序一致：50 条" in output


def write_downloads(draw: Draw, folder: Path) -> None:
    (folder / "entries.txt").write_bytes(publication.entries_text(draw).encode())
    (folder / "seed.txt").write_bytes(publication.seed_txt(draw).encode())
    (folder / "result.txt").write_bytes(publication.result_text(draw).encode())


def test_agrees_from_a_downloaded_list_and_seed_txt(tmp_path):
    draw = make_drawn_draw(count=20)
    write_downloads(draw, tmp_path)
    entries, seed = str(tmp_path / "entries.txt"), str(tmp_path / "seed.txt")
    output = verify_lottery(str(draw.plan_id), "--entries", entries, "--seed-file", seed)
    assert "顺序一致：20 条" in output


def test_reports_a_wrong_number_in_seed_txt(tmp_path):
    draw = make_drawn_draw(count=5)
    write_downloads(draw, tmp_path)
    seed_txt = tmp_path / "seed.txt"
    seed_txt.write_text(seed_txt.read_text().replace("| 47 8 23", "| 46 8 23"))
    with pytest.raises(CommandError, match="规范字符串或种子与其中的号码不一致"):
        verify_lottery(str(draw.plan_id), "--seed-file", str(seed_txt))
    other = [
        verify.Source(s.name, s.ordered, (0,) * len(s.numbers)) for s in publication.sources(draw)
    ]
    seed_txt.write_text(verify.seed_text(other))
    with pytest.raises(CommandError, match="与数据库中的种子"):
        verify_lottery(str(draw.plan_id), "--seed-file", str(seed_txt))


def test_reports_seed_txt_whose_sources_are_not_the_announced_ones(tmp_path):
    draw = make_drawn_draw(count=5)
    sources = publication.sources(draw)
    seed_txt = tmp_path / "seed.txt"
    seed_txt.write_text(verify.seed_text([sources[1], sources[0]]))
    with pytest.raises(CommandError, match="与冻结名单时预告的不一致"):
        verify_lottery(str(draw.plan_id), "--seed-file", str(seed_txt))
    seed_txt.write_text("seed 42\n")
    with pytest.raises(CommandError, match=r"seed\.txt 格式不对"):
        verify_lottery(str(draw.plan_id), "--seed-file", str(seed_txt))


def test_a_seed_from_numbers_is_not_typed():
    draw = make_drawn_draw(count=5)
    with pytest.raises(CommandError, match="请用 --seed-file"):
        verify_lottery(str(draw.plan_id), "--seed", SEED)


def test_standalone_verifier_agrees_with_the_database(tmp_path):
    draw = make_drawn_draw(count=30)
    write_downloads(draw, tmp_path)
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            *[sys.executable, "-m", "lottery.verify", "entries.txt"],
            *["--seed-file", "seed.txt", "--result", "result.txt"],
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(verify.__file__).parent.parent)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"entries-sha256 {draw.list_sha256}" in done.stdout
    positions = dict(draw.entries.values_list("code", "overall_position"))
    printed = subprocess.run(
        [sys.executable, "-m", "lottery.verify", "entries.txt", "--seed-file", "seed.txt"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(verify.__file__).parent.parent)},
        check=True,
    ).stdout.splitlines()[7:]
    assert {line.split()[3]: int(line.split()[0]) for line in printed} == positions


def test_a_draw_with_a_typed_seed_still_verifies(tmp_path):
    draw = make_typed_draw(count=20)
    assert "顺序一致：20 条，种子 08 15 23 31 47" in verify_lottery(str(draw.plan_id))
    entries = tmp_path / "entries.txt"
    entries.write_bytes(publication.entries_text(draw).encode())
    output = verify_lottery(str(draw.plan_id), "--entries", str(entries), "--seed", TYPED_SEED)
    assert "顺序一致：20 条" in output
    with pytest.raises(CommandError, match="请用 --seed 指定种子"):
        verify_lottery(str(draw.plan_id), "--seed-file", str(entries))


def test_reports_a_different_typed_seed():
    draw = make_typed_draw(count=20)
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
