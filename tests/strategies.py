"""Generated bad input for the property tests (hypothesis) of every public form and htmx
endpoint: tests/accounts/test_bad_input.py and tests/applications/test_bad_input.py.

What a person, a bot or an attacker might put in a field: Chinese, full-width digits and the
digits of other scripts (Arabic-Indic, Devanagari), control characters and NULs, right-to-left
marks, huge strings, SQL and HTML fragments, numbers out of any range; files with made-up bytes
and names, and malformed samples of tests/corpus (reused, not rebuilt). A test posts them and
asserts that no response is a 500, that no redirect leaves the site, and that nothing stored
changes when the post is refused (`stored`). `query_strings` are the same for the query of
every public and admin GET (tests/rentcenter/test_query_strings.py).
"""

import os
from urllib.parse import urlencode, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.corpus import DOCUMENT, SAMPLES

# Bounded and reproducible for CI: the same examples every run (derandomize), a few dozen per
# endpoint, no deadline (a PDF is opened in a child process). HYPOTHESIS_PROFILE=explore runs
# many more, with fresh randomness, when looking for trouble by hand.
settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Decimal digits of other scripts, which Python's int() and a regex's \d accept as digits:
# Arabic-Indic, Extended Arabic-Indic (Persian), Devanagari, full-width (NFKC makes the last
# ASCII; the others stay what they are).
OTHER_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９"

HOSTILE = [
    "' OR '1'='1' --",
    "1; DROP TABLE accounts_user; --",
    '"><script>alert(document.cookie)</script>',
    "<img src=x onerror=alert(1)>",
    "{{ request.user }}{% debug %}",
    "${7*7}",
    "../../../../etc/passwd",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: x=1",
    "\u202e\u202dgnp.exe",
    "\ufeff",
    "𠀀𪚥",  # beyond the Basic Multilingual Plane
    "１３８００１３８０００",  # full-width digits
    "11010519٤٩12310029",  # a valid ID number with one Arabic-Indic digit
    "1101051949123१0029",  # … with one Devanagari digit
    "١٣٨٠٠١٣٨٠٠٠",  # a phone number in Arabic-Indic digits
    "٣",
    "+86 138-0013-8000",
    "110105194912310029",
    "11010519491231002X",
    "北京市朝阳区望京西路1号",
    "张三",
    "null",
    "NaN",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999999",
    "2026-02-30",
    "//evil.example/",
    "javascript:alert(1)",
    " ",
    "",
]

# Any character a browser can send (surrogates cannot be encoded as UTF-8 by anyone).
characters = st.characters(exclude_categories=["Cs"])
chinese = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
control = st.characters(max_codepoint=0x1F)

other_digits = st.sampled_from(OTHER_DIGITS)
# Numbers as a person might type them with a phone set to another script: mostly ASCII digits
# with some of another script mixed in.
mixed_digits = st.text(
    st.one_of(st.sampled_from("0123456789X"), other_digits), min_size=1, max_size=20
)

texts = st.one_of(
    st.sampled_from(HOSTILE),
    mixed_digits,
    st.text(characters, max_size=40),
    st.text(chinese, min_size=1, max_size=60),
    st.text(control, min_size=1, max_size=5),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    # Huge: far past every max_length, short of the 5 MB request limit.
    st.sampled_from([1_000, 100_000, 1_000_000]).map(lambda n: "长" * n),
)

numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "0", "-1", "1.5", "1e3", "NaN", "inf", "２４", "0x10", " 24 ", "24\x00"]),
    st.sampled_from(["٢٤", "२४", "2٤", "٠", "00", "01", "+1", "1_000", "\x00"]),
    mixed_digits,
)


# Names of query parameters the site's GETs read (pages, the lottery's code search, admin's
# search, ordering, paging, list filters and autocomplete, the return address), and any other.
QUERY_NAMES = [
    "page", "code", "next", "c", "q", "o", "p", "e", "_to_field", "_popup",
    "district", "progress", "plan", "plan__id__exact", "status", "real_name", "is_staff__exact",
    "term", "app_label", "model_name", "field_name", "_changelist_filters",
]  # fmt: skip


@st.composite
def query_strings(draw) -> str:
    """The query of a GET: known names and made-up ones, values of every kind above (digits of
    other scripts, NULs, huge), sometimes a NUL in a name or a raw %00."""
    names = st.one_of(st.sampled_from(QUERY_NAMES), st.text(characters, min_size=1, max_size=12))
    values = st.one_of(numbers, texts.filter(lambda text: len(text) < 2000))
    pairs = draw(st.lists(st.tuples(names, values), max_size=4))
    query = urlencode(pairs)
    extra = draw(st.sampled_from(["", "", "", "&%00", "&page=%00", "&%00=1", "&code=%E0%A5%A7"]))
    return (query + extra).lstrip("&")


def choice_or_text(valid: list[str]) -> st.SearchStrategy[str]:
    """A valid choice as often as not, so that the rest of a form is validated too."""
    return st.one_of(st.sampled_from(valid), texts)


def extra_fields(max_size: int = 3) -> st.SearchStrategy[dict[str, str]]:
    """Fields no form has."""
    names = st.one_of(
        st.sampled_from(["is_staff", "pk", "id", "applicant", "csrfmiddlewaretoken"]),
        st.text(characters, min_size=1, max_size=20),
    )
    return st.dictionaries(names, texts, max_size=max_size)


REFUSED_SAMPLES = [sample for sample in SAMPLES if DOCUMENT not in sample.accepted_by]
CONTENT_TYPES = ["image/jpeg", "image/png", "application/pdf", "text/html", "", "image/svg+xml"]
file_names = st.one_of(
    st.sampled_from(
        ["photo.jpg", "scan.pdf", "../../etc/passwd", "a.php.jpg", "身份证.png", ".jpg", "x" * 300]
    ),
    st.text(characters, min_size=1, max_size=60).filter(lambda name: name.strip()),
)


@st.composite
def uploads(draw) -> SimpleUploadedFile:
    """A file with generated bytes, or a malformed sample of tests/corpus cut or flipped."""
    if draw(st.booleans()):
        content = draw(st.binary(max_size=4096))
    else:
        sample = draw(st.sampled_from([s for s in REFUSED_SAMPLES if len(s.content) < 200_000]))
        content = sample.content
        cut = draw(st.integers(min_value=0, max_value=len(content)))
        content = content[:cut] + draw(st.binary(max_size=64))
    return SimpleUploadedFile(
        draw(file_names), content, content_type=draw(st.sampled_from(CONTENT_TYPES))
    )


def stays_on_site(response) -> bool:
    """A redirect, if any, goes to a page of this site."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return True
    location = urlsplit(response["Location"])
    return not location.netloc and not location.scheme and not response["Location"].startswith("//")


def stored(*querysets) -> dict[str, list[dict]]:
    """Every column of every row of the querysets (a many-to-many is given as its through
    model's rows), by table: compared before and after a refused post."""
    return {qs.model._meta.db_table: list(qs.order_by("pk").values()) for qs in querysets}


def changes(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[str]:
    """What differs, row by row, to read in a failure; [] when nothing does."""
    found = []
    for table, rows in before.items():
        old = {row["id"]: row for row in rows}
        new = {row["id"]: row for row in after[table]}
        for pk in old.keys() | new.keys():
            if old.get(pk) != new.get(pk):
                found.append(f"{table} {pk}: {old.get(pk)!r:.300} -> {new.get(pk)!r:.300}")
    return found
