"""The algorithm and the standalone verifier (lottery/verify.py): no database involved."""

import hashlib
import hmac
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lottery import verify
from lottery.draw import new_entry_codes

CODES = ["0A1B2C3D4E", "7K3M9QX2PA", "HJKMNPQRST", "VWXYZ01234", "Z9Y8X7W6V5"]
SEED = "2026年12月20日 北京市方正公证处 公开摇出：08 15 23 31 47"


def test_same_seed_and_list_give_the_same_order():
    first = verify.order(seed=SEED, entry_codes=CODES)
    again = verify.order(seed=SEED, entry_codes=list(reversed(CODES)))
    assert first == again
    assert sorted(first) == sorted(CODES)


def test_order_sorts_by_the_hex_hmac_sha256_of_each_code_keyed_by_the_seed():
    digests = {
        code: hmac.new(SEED.encode(), code.encode(), hashlib.sha256).hexdigest() for code in CODES
    }
    assert verify.order(seed=SEED, entry_codes=CODES) == sorted(CODES, key=digests.get)


def test_changing_one_entry_code_changes_the_list_hash_and_the_order():
    changed = [*CODES[:-1], "Z9Y8X7W6V6"]
    assert verify.list_hash(changed) != verify.list_hash(CODES)
    before = verify.order(seed=SEED, entry_codes=CODES)
    after = verify.order(seed=SEED, entry_codes=changed)
    assert after != before


def test_changing_the_seed_changes_the_order():
    orders = {tuple(verify.order(seed=f"{SEED}{n}", entry_codes=CODES)) for n in range(5)}
    assert len(orders) > 1
    codes = new_entry_codes(1000)
    assert verify.order(seed="12345", entry_codes=codes) != verify.order(
        seed="12346", entry_codes=codes
    )


def test_list_hash_is_the_sha256_of_the_sorted_lines_joined_by_line_breaks():
    expected = hashlib.sha256("\n".join(sorted(CODES)).encode()).hexdigest()
    assert verify.list_hash(list(reversed(CODES))) == expected
    text = verify.entries_text([(code, 1) for code in CODES], grouped=False)
    assert not text.endswith("\n")
    assert hashlib.sha256(text.encode()).hexdigest() == expected


def test_entries_text_writes_group_numbers_only_when_the_plan_draws_several_groups():
    entries = [("7K3M9QX2PA", 2), ("0A1B2C3D4E", 1)]
    assert verify.entries_text(entries, grouped=True) == "0A1B2C3D4E 1\n7K3M9QX2PA 2"
    assert verify.entries_text([(c, 1) for c, _g in entries], grouped=False) == (
        "0A1B2C3D4E\n7K3M9QX2PA"
    )
    assert verify.parse_entries("0A1B2C3D4E 1\n7K3M9QX2PA 2") == sorted(entries)


def test_groups_are_drawn_one_after_the_other_with_the_overall_number_counting_on():
    entries = [(code, 1 if n < 2 else 2) for n, code in enumerate(CODES)]
    placements = verify.draw_order(seed=SEED, entries=entries)
    assert [p.group for p in placements] == [1, 1, 2, 2, 2]
    assert [p.position for p in placements] == [1, 2, 1, 2, 3]
    assert [p.overall for p in placements] == [1, 2, 3, 4, 5]
    assert [p.code for p in placements[:2]] == verify.order(seed=SEED, entry_codes=CODES[:2])
    assert [p.code for p in placements[2:]] == verify.order(seed=SEED, entry_codes=CODES[2:])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("7K3M9QX2PA\n0A1B2C3D4E", "sorted"),
        ("0A1B2C3D4E\n0A1B2C3D4E", "unique"),
        ("0A1B2C3D4E\n7K3M9QX2PA\n", "line 3"),
        ("0A1B2C3D4I", "line 1"),  # I is not in Crockford's alphabet
        ("0A1B2C3D4E 1\n7K3M9QX2PA", "every line"),
        ("0a1b2c3d4e", "line 1"),
    ],
)
def test_parse_entries_refuses_a_list_not_in_the_published_format(text, problem):
    with pytest.raises(verify.FormatError, match=problem):
        verify.parse_entries(text)


@pytest.mark.parametrize("seed", ["", " 123", "123 ", "12\n34"])
def test_a_seed_must_be_one_line_without_surrounding_spaces(seed):
    with pytest.raises(ValueError, match="one line"):
        verify.check_seed(seed)


def test_new_entry_codes_are_distinct_crockford_base32():
    codes = new_entry_codes(20_000)
    assert len(set(codes)) == 20_000
    assert all(verify.ENTRY_LINE.fullmatch(code) for code in codes)
    assert len({code[0] for code in codes}) == 32  # every symbol turns up, none favoured out


def test_orders_100000_generated_codes_in_under_a_few_seconds():
    codes = new_entry_codes(100_000)
    started = time.perf_counter()
    ordered = verify.order(seed=SEED, entry_codes=codes)
    verify.list_hash(codes)
    assert time.perf_counter() - started < 3
    assert len(ordered) == 100_000


def run_verifier(*args: str, cwd: Path | None = None, module: bool = True):
    command = [sys.executable, "-m", "lottery.verify"] if module else [sys.executable, "verify.py"]
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [*command, *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_standalone_verifier_prints_the_result_file(tmp_path):
    entries = tmp_path / "entries.txt"
    entries.write_text(verify.entries_text([(c, 1) for c in CODES], grouped=False))
    done = run_verifier(str(entries), SEED, cwd=Path(verify.__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout == verify.result_text(seed=SEED, entries_text=entries.read_text())
    lines = done.stdout.splitlines()
    assert lines[0] == "algorithm hmac-sha256-sort/1"
    assert lines[1] == f"seed {SEED}"
    assert lines[2] == f"entries-sha256 {verify.list_hash(CODES)}"
    assert [line.split()[3] for line in lines[3:]] == verify.order(seed=SEED, entry_codes=CODES)


def test_verifier_runs_as_a_single_file_without_the_project(tmp_path):
    shutil.copy(verify.__file__, tmp_path / "verify.py")
    (tmp_path / "entries.txt").write_text("0A1B2C3D4E 1\n7K3M9QX2PA 2")
    expected = verify.result_text(seed="42", entries_text="0A1B2C3D4E 1\n7K3M9QX2PA 2")
    (tmp_path / "result.txt").write_text(expected)
    done = run_verifier("entries.txt", "42", "--result", "result.txt", cwd=tmp_path, module=False)
    assert done.returncode == 0, done.stderr
    assert "OK: 2 entries" in done.stdout


def test_verifier_reports_a_result_that_the_seed_does_not_give(tmp_path):
    shutil.copy(verify.__file__, tmp_path / "verify.py")
    (tmp_path / "entries.txt").write_text("\n".join(CODES))
    (tmp_path / "result.txt").write_text(
        verify.result_text(seed="42", entries_text="\n".join(CODES))
    )
    done = run_verifier("entries.txt", "43", "--result", "result.txt", cwd=tmp_path, module=False)
    assert done.returncode == 1
    assert "DIFFERENT" in done.stderr
