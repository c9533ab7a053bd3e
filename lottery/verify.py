"""The lottery's algorithm, and a way for anyone to re-run it: Python's standard library only.

This module is the one implementation of the draw: the site computes the seed and orders its
entries with these very functions (lottery/draw.py imports them), and anyone can copy this
single file and run

    python3 verify.py entries.txt --seed-file seed.txt --result result.txt
    python3 verify.py entries.txt "SEED" --result result.txt      (draws with a typed seed)

which prints OK (exit status 0) when result.txt is exactly what entries.txt and the seed give,
and DIFFERENT (exit status 1) otherwise; without --result it prints the result it computes.
Inside a checkout, `python3 -m lottery.verify …` does the same.

Where the seed comes from (the seed rule, recorded on each draw):

    "rfc3797-sha256/1"  The idea of RFC 3797 (publicly verifiable random selection). When the
        list is frozen, staff announce one or more sources of public numbers (a lottery's
        winning numbers, numbers a notary draws in public), each with the instant its numbers
        become known (after the freeze) and how many numbers it gives. At the draw, staff enter
        each source's numbers; the seed is computed from them, never typed:

        - a number is a non-negative integer written in decimal without leading zeros ("08" is
          8, written "8"; zero is "0"), at most 18 digits. Fractions are not allowed: RFC 3797
          permits them, but "1.50" against "1.5" is an ambiguity a lottery does not need; a
          figure with decimals (a stock index) is announced as an integer in a stated unit.
        - a source gives exactly the number of numbers announced for it: no more, no fewer.
        - a source is "sorted" (the default: a lottery's winning numbers are a set, whatever
          order the balls came out in) or "ordered" (announced as such at freezing: its
          numbers count in the order they were drawn).
        - the canonical string, as in RFC 3797 section 4: each number is followed by ".",
          a source's numbers come in ascending order unless the source is ordered, and each
          source, in the announced order, ends with "/". Numbers 31 7 19 3 25 12 from a sorted
          source and 47 8 23 15 31 from an ordered one give "3.7.12.19.25.31./47.8.23.15.31./".
        - the seed is the lowercase hex SHA-256 of the canonical string's UTF-8 bytes (where
          RFC 3797 uses MD5 and its own selection; the order below is unchanged).

    "typed"  Draws made before the seed rule existed: the seed is the text staff entered at the
        draw, from the source announced in words. They keep verifying with that text.

The published files (UTF-8, "\\n" line breaks, nothing else):

entries.txt, the frozen list, published before the draw. One line per entry, sorted by code:
    the entry code, 10 characters of Crockford's base32 (0-9 and A-Z without I, L, O, U),
    followed by a space and its group number (1, 2, …) when the plan draws priority groups
    separately; with a single group, the line is the code alone.
    Lines are joined by "\\n", with no line break after the last one, so the SHA-256 of the
    file's bytes (`sha256sum entries.txt`) is the list hash published with it.

seed.txt, the sources' numbers, published after the draw (seed rule "rfc3797-sha256/1"):
    seed-rule rfc3797-sha256/1
    then one line per source, in the announced order:
        source <sorted|ordered> <how many numbers> | <the numbers> | <the source's name>
    the numbers in canonical decimal form, separated by one space, in the order they were
    entered (for a sorted source that order does not matter); the name as announced, one
    line without surrounding spaces;
    canonical <the canonical string>
    seed <the seed>
    Every line, the last one included, ends with "\\n". The file is exactly what its source
    lines give: a canonical or seed line that its numbers do not give is a different seed.

result.txt, published after the draw:
    algorithm <ALGORITHM>
    the seed: for seed rule "rfc3797-sha256/1" the whole of seed.txt, for a typed seed one line
        seed <the seed exactly as entered>
    entries-sha256 <the list hash>
    then one line per entry, in draw order: <顺序号 overall> <group> <顺序号 in group> <code>
    Every line, the last one included, ends with "\\n".

The order (ALGORITHM "hmac-sha256-sort/1"): within each group, entry codes are sorted by the
lowercase hex HMAC-SHA256 digest whose key is the seed's UTF-8 bytes (for seed rule
"rfc3797-sha256/1" the 64 hex digits of the seed) and whose message is the code's UTF-8 bytes
(a tie, which would need a SHA-256 collision, is broken by the code). Group 1 comes first, then
group 2, and so on; the overall 顺序号 counts on across groups.
"""

import argparse
import hashlib
import hmac
import re
import sys
from collections.abc import Sequence
from typing import NamedTuple

ALGORITHM = "hmac-sha256-sort/1"
SEED_RULE = "rfc3797-sha256/1"
TYPED_SEED_RULE = "typed"
CODE_LENGTH = 10
# Crockford's base32: no I, L, O or U, so a code read out on the phone is not misheard.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENTRY_LINE = re.compile(r"([0-9A-HJKMNP-TV-Z]{10})(?: ([1-9][0-9]{0,3}))?")
# 18 digits: any lottery, serial or index figure, and still a 64-bit integer for any tool.
MAX_DIGITS = 18
NUMBER = r"(?:0|[1-9][0-9]{0,17})"
SOURCE_LINE = re.compile(
    rf"source (sorted|ordered) ([1-9][0-9]{{0,2}}) \| ({NUMBER}(?: {NUMBER})*) \| (\S(?:.*\S)?)"
)


class FormatError(ValueError):
    """A published file that does not follow the format above."""


class Placement(NamedTuple):
    """Where the draw put one entry."""

    overall: int  # 顺序号 across all groups, from 1
    group: int  # priority group, from 1
    position: int  # 顺序号 within the group, from 1
    code: str


class Source(NamedTuple):
    """One announced source of public numbers, with the numbers it gave."""

    name: str
    ordered: bool  # the numbers count in the order drawn; otherwise sorted ascending
    numbers: tuple[int, ...]


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
    """A typed seed is one line of text: it is written on a line of result.txt."""
    if not seed or seed != seed.strip() or "\n" in seed or "\r" in seed:
        raise ValueError("the seed must be one line of text without surrounding spaces")
    return seed


# The seed from public numbers (seed rule "rfc3797-sha256/1") ---------------------------------


def canonical_number(number: int) -> str:
    """A number as the canonical string writes it: decimal, no leading zeros."""
    if type(number) is not int or number < 0:
        raise ValueError(f"a number must be a non-negative integer: {number!r}")
    written = str(number)
    if len(written) > MAX_DIGITS:
        raise ValueError(f"a number has at most {MAX_DIGITS} digits: {written}")
    return written


def check_source_name(name: str) -> str:
    """A source's name is one line of text: it is written on a line of seed.txt."""
    if not name or name != name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError("a source's name must be one line of text without surrounding spaces")
    return name


def canonical_string(sources: Sequence[Source]) -> str:
    """RFC 3797's key string: each number followed by ".", a source's numbers ascending unless
    it is ordered, each source followed by "/", the sources in their announced order."""
    if not sources:
        raise ValueError("a seed needs at least one source")
    parts = []
    for source in sources:
        if not source.numbers:
            raise ValueError(f"source {source.name!r} gives no numbers")
        numbers = source.numbers if source.ordered else sorted(source.numbers)
        parts.append("".join(f"{canonical_number(number)}." for number in numbers) + "/")
    return "".join(parts)


def seed_from(sources: Sequence[Source]) -> str:
    """The seed: lowercase hex SHA-256 of the canonical string's UTF-8 bytes."""
    return hashlib.sha256(canonical_string(sources).encode()).hexdigest()


def source_line(source: Source) -> str:
    kind = "ordered" if source.ordered else "sorted"
    numbers = " ".join(canonical_number(number) for number in source.numbers)
    name = check_source_name(source.name)
    return f"source {kind} {len(source.numbers)} | {numbers} | {name}\n"


def seed_text(sources: Sequence[Source]) -> str:
    """seed.txt for the sources and their numbers, in the announced order."""
    lines = "".join(source_line(source) for source in sources)
    canonical = canonical_string(sources)
    seed = hashlib.sha256(canonical.encode()).hexdigest()
    return f"seed-rule {SEED_RULE}\n{lines}canonical {canonical}\nseed {seed}\n"


def parse_seed_text(text: str) -> list[Source]:
    """The sources of seed.txt, checking the format of every line strictly.

    The canonical and seed lines are only checked for being there: `seed_text(sources)` gives
    the file its sources imply, and a file that differs from it states a different seed."""
    lines = text.split("\n")
    if len(lines) < 5 or lines[-1] != "":
        raise FormatError("seed.txt has a rule line, source lines, canonical and seed lines")
    if lines[0] != f"seed-rule {SEED_RULE}":
        raise FormatError(f"line 1 must be 'seed-rule {SEED_RULE}': {lines[0]!r}")
    sources = []
    for number, line in enumerate(lines[1:-3], start=2):
        match = SOURCE_LINE.fullmatch(line)
        if not match:
            raise FormatError(f"line {number} is not a source: {line!r}")
        kind, count, numbers, name = match.groups()
        values = tuple(int(value) for value in numbers.split(" "))
        if len(values) != int(count):
            raise FormatError(f"line {number}: {count} numbers announced, {len(values)} given")
        sources.append(Source(name, kind == "ordered", values))
    if not lines[-3].startswith("canonical ") or not lines[-2].startswith("seed "):
        raise FormatError("the last two lines must be 'canonical …' and 'seed …'")
    return sources


# result.txt -------------------------------------------------------------------------------


def result_header(
    *, entries_sha256: str, seed: str | None = None, sources: Sequence[Source] | None = None
) -> str:
    """The lines before the order: a typed `seed`, or the `sources` the seed comes from."""
    if (seed is None) == (sources is None):
        raise ValueError("give either a typed seed or the sources")
    seed_lines = seed_text(sources) if sources is not None else f"seed {seed}\n"
    return f"algorithm {ALGORITHM}\n{seed_lines}entries-sha256 {entries_sha256}\n"


def result_line(placement: Placement) -> str:
    return f"{placement.overall} {placement.group} {placement.position} {placement.code}\n"


def result_text(
    *, entries_text: str, seed: str | None = None, sources: Sequence[Source] | None = None
) -> str:
    """result.txt as entries.txt and the seed determine it: a typed `seed`, or the `sources`
    with their numbers (seed rule "rfc3797-sha256/1")."""
    if sources is not None:
        order_seed = seed_from(sources)
    elif seed is not None:
        order_seed = check_seed(seed)
    else:
        raise ValueError("give either a typed seed or the sources")
    placements = draw_order(seed=order_seed, entries=parse_entries(entries_text))
    entries_sha256 = hashlib.sha256(entries_text.encode()).hexdigest()
    header = result_header(entries_sha256=entries_sha256, seed=seed, sources=sources)
    return header + "".join(result_line(placement) for placement in placements)


def read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as file:
        return file.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 verify.py",
        description="Recompute a lottery's seed and order from its published files.",
    )
    parser.add_argument("entries", help="entries.txt as published before the draw")
    parser.add_argument("seed", nargs="?", help="a typed seed, exactly as published (old draws)")
    parser.add_argument("--seed-file", help="seed.txt: the sources' numbers the seed comes from")
    parser.add_argument("--result", help="result.txt to compare with; exit status 1 if it differs")
    args = parser.parse_args(argv)
    if (args.seed is None) == (args.seed_file is None):
        parser.error("give either --seed-file seed.txt or a typed SEED")
    entries = read(args.entries)
    try:
        if args.seed_file is None:
            computed = result_text(seed=args.seed, entries_text=entries)
        else:
            published_seed = read(args.seed_file)
            sources = parse_seed_text(published_seed)
            if seed_text(sources) != published_seed:
                print(
                    "DIFFERENT: the canonical string or the seed in seed.txt is not what its "
                    f"numbers give:\n{seed_text(sources)}",
                    file=sys.stderr,
                )
                return 1
            computed = result_text(sources=sources, entries_text=entries)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.result is None:
        sys.stdout.write(computed)
        return 0
    if read(args.result) != computed:
        print("DIFFERENT: result.txt is not what the seed and entries.txt give", file=sys.stderr)
        return 1
    header = [line for line in computed.splitlines() if not line[:1].isdigit()]
    print("\n".join(line for line in header if line.startswith(("seed ", "entries-sha256 "))))
    entries_count = len(computed.splitlines()) - len(header)
    print(f"OK: {entries_count} entries, the same order as result.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
