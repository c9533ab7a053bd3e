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


# The seed from public numbers (seed rule "rfc3797-sha256/1") ----------------------------------

LOTTERY = verify.Source(
    "中国福利彩票 双色球 第2026150期 红色球开奖号码", False, (31, 7, 19, 3, 25, 12)
)
NOTARY = verify.Source(
    "2026年12月20日 北京市方正公证处现场摇出的5个号码", True, (47, 8, 23, 15, 31)
)
PUBLISHED = Path(__file__).parent / "published"


def test_canonical_string_and_seed_of_the_worked_example_match_the_hand_computation():
    # By hand: the lottery's numbers ascending, each followed by "."; the notary's in the order
    # drawn; each source closed by "/".
    canonical = "3.7.12.19.25.31./47.8.23.15.31./"
    assert verify.canonical_string([LOTTERY, NOTARY]) == canonical
    # printf '%s' '3.7.12.19.25.31./47.8.23.15.31./' | sha256sum
    seed = "9aac0e88051f340b19832b9f36d48dc71259363859a28451c04ec8c451bfce0c"
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == seed
    assert verify.seed_from([LOTTERY, NOTARY]) == seed


def test_numbers_are_written_in_decimal_without_leading_zeros():
    source = verify.Source("公证处", True, (0, 8, 10, 10**17))
    assert verify.canonical_string([source]) == "0.8.10.100000000000000000./"
    assert verify.canonical_number(int("08")) == "8"


@pytest.mark.parametrize("number", [-1, 1.5, True, "8", 10**18])
def test_only_non_negative_integers_of_at_most_18_digits_are_numbers(number):
    with pytest.raises(ValueError, match="number"):
        verify.canonical_number(number)


def test_a_sorted_source_ignores_the_order_of_its_numbers_an_ordered_one_does_not():
    shuffled = LOTTERY._replace(numbers=(3, 7, 12, 19, 25, 31))
    assert verify.seed_from([shuffled, NOTARY]) == verify.seed_from([LOTTERY, NOTARY])
    reordered = NOTARY._replace(numbers=(8, 15, 23, 31, 47))
    assert verify.seed_from([LOTTERY, reordered]) != verify.seed_from([LOTTERY, NOTARY])
    assert verify.canonical_string([LOTTERY, reordered]) == "3.7.12.19.25.31./8.15.23.31.47./"


def test_the_order_of_the_sources_and_every_number_count():
    assert verify.seed_from([NOTARY, LOTTERY]) != verify.seed_from([LOTTERY, NOTARY])
    changed = LOTTERY._replace(numbers=(31, 7, 19, 3, 25, 13))
    assert verify.seed_from([changed, NOTARY]) != verify.seed_from([LOTTERY, NOTARY])
    # "12.3" and "1.23" would read alike without the "." after each number.
    assert verify.canonical_string([verify.Source("a", True, (12, 3))]) != (
        verify.canonical_string([verify.Source("a", True, (1, 23))])
    )


def test_a_seed_needs_a_source_with_numbers():
    with pytest.raises(ValueError, match="at least one source"):
        verify.seed_from([])
    with pytest.raises(ValueError, match="no numbers"):
        verify.seed_from([verify.Source("空", False, ())])


def test_seed_txt_lists_each_source_then_the_canonical_string_and_the_seed():
    text = verify.seed_text([LOTTERY, NOTARY])
    assert text == (
        "seed-rule rfc3797-sha256/1\n"
        "source sorted 6 | 31 7 19 3 25 12 | 中国福利彩票 双色球 第2026150期 红色球开奖号码\n"
        "source ordered 5 | 47 8 23 15 31 | 2026年12月20日 北京市方正公证处现场摇出的5个号码\n"
        "canonical 3.7.12.19.25.31./47.8.23.15.31./\n"
        "seed 9aac0e88051f340b19832b9f36d48dc71259363859a28451c04ec8c451bfce0c\n"
    )
    assert verify.parse_seed_text(text) == [LOTTERY, NOTARY]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t.replace("seed-rule rfc3797-sha256/1", "seed-rule typed"), "line 1"),
        (lambda t: t.replace("sorted 6 |", "sorted 5 |"), "5 numbers announced, 6 given"),
        (lambda t: t.replace("| 31 7 19 3", "| 31 07 19 3"), "line 2"),
        (lambda t: t.replace("| 31 7 19 3", "| 31 7.5 19 3"), "line 2"),
        (lambda t: t.replace("source ordered", "source shuffled"), "line 3"),
        (lambda t: t.replace("\n", "\r\n"), "line 1"),
        (lambda t: t[:-1], "source lines"),
        (lambda t: t.replace("canonical ", "key "), "canonical"),
    ],
)
def test_parse_seed_text_refuses_a_file_not_in_the_published_format(change, problem):
    with pytest.raises(verify.FormatError, match=problem):
        verify.parse_seed_text(change(verify.seed_text([LOTTERY, NOTARY])))


def test_result_of_a_seed_from_numbers_carries_seed_txt_and_orders_by_the_seed():
    entries = "\n".join(CODES)
    result = verify.result_text(sources=[LOTTERY, NOTARY], entries_text=entries)
    seed_txt = verify.seed_text([LOTTERY, NOTARY])
    assert result.startswith(f"algorithm hmac-sha256-sort/1\n{seed_txt}entries-sha256 ")
    seed = verify.seed_from([LOTTERY, NOTARY])
    order = [line.split()[3] for line in result.splitlines()[7:]]
    assert order == verify.order(seed=seed, entry_codes=CODES)


def write_published_draw(folder: Path, *, sources=(LOTTERY, NOTARY)) -> None:
    shutil.copy(verify.__file__, folder / "verify.py")
    (folder / "entries.txt").write_text("\n".join(CODES))
    (folder / "seed.txt").write_text(verify.seed_text(list(sources)))
    result = verify.result_text(sources=list(sources), entries_text="\n".join(CODES))
    (folder / "result.txt").write_text(result)


def test_verifier_recomputes_the_seed_from_seed_txt(tmp_path):
    write_published_draw(tmp_path)
    done = run_verifier(
        "entries.txt",
        "--seed-file",
        "seed.txt",
        "--result",
        "result.txt",
        cwd=tmp_path,
        module=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"seed {verify.seed_from([LOTTERY, NOTARY])}" in done.stdout
    assert "OK: 5 entries" in done.stdout


def test_verifier_fails_on_a_wrong_value_in_seed_txt(tmp_path):
    write_published_draw(tmp_path)
    seed_txt = tmp_path / "seed.txt"
    seed_txt.write_text(seed_txt.read_text().replace("| 47 8 23", "| 46 8 23"))
    done = run_verifier(
        "entries.txt",
        "--seed-file",
        "seed.txt",
        "--result",
        "result.txt",
        cwd=tmp_path,
        module=False,
    )
    assert done.returncode == 1
    assert "DIFFERENT: the canonical string or the seed in seed.txt" in done.stderr


def test_verifier_fails_when_other_numbers_give_a_consistent_but_different_seed(tmp_path):
    write_published_draw(tmp_path)
    other = NOTARY._replace(numbers=(46, 8, 23, 15, 31))
    (tmp_path / "seed.txt").write_text(verify.seed_text([LOTTERY, other]))
    done = run_verifier(
        "entries.txt",
        "--seed-file",
        "seed.txt",
        "--result",
        "result.txt",
        cwd=tmp_path,
        module=False,
    )
    assert done.returncode == 1
    assert "DIFFERENT: result.txt" in done.stderr


def test_verifier_takes_either_a_typed_seed_or_seed_txt(tmp_path):
    write_published_draw(tmp_path)
    both = run_verifier("entries.txt", "42", "--seed-file", "seed.txt", cwd=tmp_path, module=False)
    neither = run_verifier("entries.txt", cwd=tmp_path, module=False)
    assert both.returncode == neither.returncode == 2
    assert "either --seed-file" in neither.stderr


def test_a_draw_published_with_a_typed_seed_still_verifies(tmp_path):
    # Files as hmac-sha256-sort/1 published them before seeds came from public numbers.
    shutil.copy(verify.__file__, tmp_path / "verify.py")
    for name in ("entries", "result"):
        shutil.copy(PUBLISHED / f"typed-{name}.txt", tmp_path / f"{name}.txt")
    seed = (PUBLISHED / "typed-result.txt").read_text(encoding="utf-8").splitlines()[1][5:]
    done = run_verifier("entries.txt", seed, "--result", "result.txt", cwd=tmp_path, module=False)
    assert done.returncode == 0, done.stderr
    assert "OK: 7 entries" in done.stdout
    published = (PUBLISHED / "typed-result.txt").read_text(encoding="utf-8")
    entries = (PUBLISHED / "typed-entries.txt").read_text(encoding="utf-8")
    assert verify.result_text(seed=seed, entries_text=entries) == published
