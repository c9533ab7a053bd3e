"""The published files of a draw, entries.txt, seed.txt and result.txt, byte for byte as
lottery/verify.py describes them. The public views stream them, and `manage.py verify_lottery`
checks them."""

from collections.abc import Iterator

from lottery.models import Draw
from lottery.verify import Placement, Source, entry_line, result_header, result_line, seed_text

# Lines per streamed chunk: about 55 KB of entries.txt, 100 KB of result.txt.
CHUNK_LINES = 5000


def entry_pairs(draw: Draw) -> list[tuple[str, int]]:
    """(code, group) of every entry, sorted by code in Python, that is by the codes' bytes,
    whatever collation the database would sort with."""
    return sorted(draw.entries.values_list("code", "group"))


def entries_chunks(draw: Draw) -> Iterator[str]:
    """entries.txt in pieces: lines joined by "\\n", none after the last."""
    lines = [entry_line(code, group, grouped=draw.grouped) for code, group in entry_pairs(draw)]
    for start in range(0, len(lines), CHUNK_LINES):
        yield ("\n" if start else "") + "\n".join(lines[start : start + CHUNK_LINES])


def entries_text(draw: Draw) -> str:
    return "".join(entries_chunks(draw))


def sources(draw: Draw) -> list[Source]:
    """The drawn sources with their numbers, in their announced order."""
    return [source.as_source() for source in draw.seed_sources.order_by("position")]


def seed_txt(draw: Draw) -> str:
    """seed.txt of a draw whose seed was computed from its sources' numbers."""
    return seed_text(sources(draw))


def result_chunks(draw: Draw) -> Iterator[str]:
    """result.txt in pieces: the header, then one line per entry in draw order."""
    if draw.seeded_by_sources:
        yield result_header(entries_sha256=draw.list_sha256, sources=sources(draw))
    else:
        yield result_header(entries_sha256=draw.list_sha256, seed=draw.seed)
    rows = draw.entries.order_by("overall_position").values_list(
        "overall_position", "group", "position", "code"
    )
    lines = []
    for row in rows.iterator(chunk_size=CHUNK_LINES):
        lines.append(result_line(Placement(*row)))
        if len(lines) == CHUNK_LINES:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def result_text(draw: Draw) -> str:
    return "".join(result_chunks(draw))
