"""The lottery's algorithm, and a way for anyone to re-run it: Python's standard library only.

This module is the one implementation of the draw: the site orders its entries with these very
functions (lottery/draw.py imports them), and anyone can copy this single file and run

    python3 -m lottery.verify entries.txt "SEED"        (inside a checkout), or
    python3 verify.py entries.txt "SEED"                 (the file alone)

to print the hash of the frozen list and the order, in the format of result.txt, so that

    python3 verify.py entries.txt "SEED" | diff - result.txt

prints nothing when the published result is what the seed and the frozen list give.

The published files (UTF-8, "\\n" line breaks, nothing else):

entries.txt, the frozen list, published before the draw. One line per entry, sorted by code:
    the entry code, 10 characters of Crockford's base32 (0-9 and A-Z without I, L, O, U),
    followed by a space and its group number (1, 2, …) when the plan draws priority groups
    separately; with a single group, the line is the code alone.
    Lines are joined by "\\n", with no line break after the last one, so the SHA-256 of the
    file's bytes (`sha256sum entries.txt`) is the list hash published with it.

result.txt, published after the draw:
    algorithm <ALGORITHM>
    seed <the seed exactly as entered>
    entries-sha256 <the list hash>
    then one line per entry, in draw order: <顺序号 overall> <group> <顺序号 in group> <code>
    Every line, the last one included, ends with "\\n".

The order (ALGORITHM "hmac-sha256-sort/1"): within each group, entry codes are sorted by the
lowercase hex HMAC-SHA256 digest whose key is the seed's UTF-8 bytes and whose message is the
code's UTF-8 bytes (a tie, which would need a SHA-256 collision, is broken by the code). Group 1
comes first, then group 2, and so on; the overall 顺序号 counts on across groups.
"""

import argparse
import hashlib
import hmac
import re
import sys
from typing import NamedTuple

ALGORITHM = "hmac-sha256-sort/1"
CODE_LENGTH = 10
# Crockford's base32: no I, L, O or U, so a code read out on the phone is not misheard.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENTRY_LINE = re.compile(r"([0-9A-HJKMNP-TV-Z]{10})(?: ([1-9][0-9]{0,3}))?")


class FormatError(ValueError):
    """A published file that does not follow the format above."""


class Placement(NamedTuple):
    """Where the draw put one entry."""

    overall: int  # 顺序号 across all groups, from 1
    group: int  # priority group, from 1
    position: int  # 顺序号 within the group, from 1
    code: str


def order(*, seed: str, entry_codes: list[str]) -> list[str]:
    """The entry codes sorted by HMAC-SHA256(key=seed, message=code), hex digest, then code."""
    if len(set(entry_codes)) != len(entry_codes):
        raise ValueError("entry codes must be unique")
    key = seed.encode()
    # Digests have a fixed length (64 hex digits), so "digest + code" sorts by digest, then code.
    return sorted(
        entry_codes, key=lambda code: hmac.digest(key, code.encode(), "sha256").hex() + code
    )


def entry_line(code: str, group: int, *, grouped: bool) -> str:
    return f"{code} {group}" if grouped else code


def entries_text(entries: list[tuple[str, int]], *, grouped: bool) -> str:
    """entries.txt for (code, group) pairs: sorted by code, with the group when the plan draws
    several (`grouped`), joined by "\\n" without a final line break."""
    return "\n".join(entry_line(code, group, grouped=grouped) for code, group in sorted(entries))


def list_hash(lines: list[str]) -> str:
    """SHA-256 (lowercase hex) of the lines of entries.txt: sorted, UTF-8, joined by "\\n".

    For a single group the lines are the entry codes themselves."""
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def parse_entries(text: str) -> list[tuple[str, int]]:
    """(code, group) pairs from entries.txt, checking its format strictly."""
    if not text:
        return []
    entries = []
    with_groups = set()
    for number, line in enumerate(text.split("\n"), start=1):
        match = ENTRY_LINE.fullmatch(line)
        if not match:
            raise FormatError(f"line {number} is not an entry: {line!r}")
        entries.append((match[1], int(match[2] or 1)))
        with_groups.add(match[2] is not None)
    if len(with_groups) > 1:
        raise FormatError("either every line has a group number or none has")
    codes = [code for code, _group in entries]
    if codes != sorted(codes) or len(set(codes)) != len(codes):
        raise FormatError("entry codes must be unique and sorted")
    return entries


def draw_order(*, seed: str, entries: list[tuple[str, int]]) -> list[Placement]:
    """Order (code, group) pairs: each group by `order`, groups one after another."""
    groups: dict[int, list[str]] = {}
    for code, group in entries:
        groups.setdefault(group, []).append(code)
    placements = []
    for group in sorted(groups):
        for position, code in enumerate(order(seed=seed, entry_codes=groups[group]), start=1):
            placements.append(Placement(len(placements) + 1, group, position, code))
    return placements


def check_seed(seed: str) -> str:
    """A seed is one line of text: it is written on a line of result.txt."""
    if not seed or seed != seed.strip() or "\n" in seed or "\r" in seed:
        raise ValueError("the seed must be one line of text without surrounding spaces")
    return seed


def result_header(*, seed: str, entries_sha256: str) -> str:
    return f"algorithm {ALGORITHM}\nseed {seed}\nentries-sha256 {entries_sha256}\n"


def result_line(placement: Placement) -> str:
    return f"{placement.overall} {placement.group} {placement.position} {placement.code}\n"


def result_text(*, seed: str, entries_text: str) -> str:
    """result.txt as the seed and entries.txt determine it."""
    placements = draw_order(seed=check_seed(seed), entries=parse_entries(entries_text))
    entries_sha256 = hashlib.sha256(entries_text.encode()).hexdigest()
    header = result_header(seed=seed, entries_sha256=entries_sha256)
    return header + "".join(result_line(placement) for placement in placements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lottery.verify",
        description="Print the hash of a frozen lottery list and the order a seed gives it.",
    )
    parser.add_argument("entries", help="entries.txt as published before the draw")
    parser.add_argument("seed", help="the seed, exactly as published")
    parser.add_argument("--result", help="result.txt to compare with; exit status 1 if it differs")
    args = parser.parse_args(argv)
    with open(args.entries, encoding="utf-8", newline="") as file:
        entries = file.read()
    try:
        computed = result_text(seed=args.seed, entries_text=entries)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.result is None:
        sys.stdout.write(computed)
        return 0
    with open(args.result, encoding="utf-8", newline="") as file:
        published = file.read()
    if published != computed:
        print("DIFFERENT: result.txt is not what the seed and entries.txt give", file=sys.stderr)
        return 1
    print(computed.splitlines()[2])
    print(f"OK: {computed.count(chr(10)) - 3} entries, the same order as result.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
