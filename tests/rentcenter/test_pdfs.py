"""rentcenter/pdfs.py: what a rewritten PDF keeps, what it loses, and what is refused.

The ways a PDF can act are in tests/corpus/pdfs.py; every one of them is stored without its
active content by both upload paths (tests/applications/test_documents.py,
tests/plans/test_admin.py, tests/rentcenter/test_upload_corpus.py).
"""

import io
import time

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from pikepdf import Array, Dictionary, Name

from rentcenter import pdfs
from tests.corpus import pdfs as crafted


def opened(content: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(content))


def refusal(content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        pdfs.clean(content)
    return error.value


# What is kept ----------------------------------------------------------------------------------


def test_an_honest_document_keeps_its_pages_and_text():
    cleaned = opened(pdfs.clean(crafted.honest(pages=3)))

    assert len(cleaned.pages) == 3
    assert b"Labour contract, page 2" in cleaned.pages[1].Contents.read_bytes()
    assert cleaned.pages[0].Resources.Font.F1.BaseFont == Name.Helvetica


def test_links_within_the_document_are_kept():
    document = crafted.document(pages=2)
    goto = Dictionary(S=Name.GoTo, D=Array([document.pages[1].obj, Name.Fit]))
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10], A=goto)
    document.pages[0].Annots = Array([document.make_indirect(link)])

    cleaned = opened(pdfs.clean(crafted.save(document)))

    kept = cleaned.pages[0].Annots[0]
    assert Name.GoTo == kept.A.S
    assert kept.A.D[0].objgen == cleaned.pages[1].objgen


def test_annotations_that_play_or_open_something_are_removed_from_their_page():
    document = crafted.document()
    crafted.ACTIVE["RichMedia annotation"](document)
    note = Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=[0, 0, 10, 10])
    document.pages[0].Annots.append(document.make_indirect(note))

    cleaned = opened(pdfs.clean(crafted.save(document)))

    assert [annotation.Subtype for annotation in cleaned.pages[0].Annots] == [Name.Text]


def test_stored_file_has_no_object_streams_and_no_encryption():
    cleaned = pdfs.clean(crafted.encrypted(user_password=""))

    assert b"/ObjStm" not in cleaned
    assert b"/Encrypt" not in cleaned
    assert not opened(cleaned).is_encrypted


def test_the_same_upload_is_rewritten_to_the_same_bytes():
    content = crafted.active("page /AA")

    assert pdfs.clean(content) == pdfs.clean(content)


def test_padding_after_the_end_of_file_marker_is_accepted():
    content = crafted.honest() + b"\r\n" + b"\0" * 4096

    assert opened(pdfs.clean(content)).pages


def test_stream_data_is_copied_not_inflated():
    """A page whose content inflates to 200 MB (flate twice): within the bound, it is stored as
    small as it came."""
    content = crafted.content_stream_bomb(inflated_mib=200)

    cleaned = pdfs.clean(content)

    assert len(cleaned) < 2 * len(content)


# What is refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [crafted.honest()[:-200], crafted.honest()[:300], b"%PDF-1.7\n"],
    ids=["end cut off", "cut in half", "header only"],
)
def test_a_file_cut_short_is_refused_as_incomplete(content):
    error = refusal(content)

    assert error.code == "truncated_pdf"
    assert error.messages == ["PDF 文件不完整，请重新导出后上传。"]


def test_a_content_stream_inflating_to_gigabytes_is_refused_at_once():
    """Issue 17, finding 8: 5 KB inflating to 2 GiB were stored and served to reviewers, whose
    viewer would inflate them. The rewrite measures what every stream inflates to, stopping at
    the bound."""
    content = crafted.content_stream_bomb()
    assert len(content) < 8 * 1024
    started = time.monotonic()

    error = refusal(content)

    assert error.code == "inflates_too_much"
    assert error.messages == ["PDF 文件解压后的内容过大，请另存为普通 PDF 或拆分后上传。"]
    assert time.monotonic() - started < pdfs.PARSE_SECONDS


def test_the_bound_counts_every_stream_of_the_document_together(monkeypatch):
    """Two pages of 150 MiB each pass one by one and not together."""
    document = crafted.document(pages=2)
    for page in document.pages:
        stream = pikepdf.Stream(document, crafted.flate_bomb(150))
        stream.Filter = Array([Name.FlateDecode, Name.FlateDecode])
        page.Contents = stream

    assert refusal(crafted.save(document, compress_streams=False)).code == "inflates_too_much"


def test_a_document_of_the_page_limit_is_accepted():
    assert len(opened(pdfs.clean(crafted.honest(pages=pdfs.MAX_PAGES))).pages) == pdfs.MAX_PAGES


def test_a_document_over_the_page_limit_is_refused():
    error = refusal(crafted.honest(pages=pdfs.MAX_PAGES + 1))

    assert error.code == "too_many_pages"
    assert error.messages == ["PDF 文件不能超过 100 页，请拆分后分别上传。"]


def test_a_page_tree_naming_one_page_a_billion_times_is_refused_at_once():
    started = time.monotonic()

    error = refusal(crafted.page_tree_bomb())

    assert error.code in {"invalid_pdf", "too_many_pages"}
    assert time.monotonic() - started < 2


def test_a_document_without_pages_is_refused():
    document = crafted.document()
    del document.Root.Pages.Kids[0]
    document.Root.Pages.Count = 0

    assert refusal(crafted.save(document)).code == "invalid_pdf"


def test_an_object_stream_inflating_past_the_memory_limit_is_refused():
    started = time.monotonic()

    error = refusal(crafted.object_stream_bomb())

    assert error.code == "invalid_pdf"
    assert time.monotonic() - started < pdfs.PARSE_SECONDS


def test_the_same_object_stream_within_the_limit_is_read():
    """The bomb's structure is valid: what refuses it above is the child's memory limit."""
    cleaned = opened(pdfs.clean(crafted.object_stream_bomb(inflated_mib=1)))

    assert len(cleaned.pages) == 1


def test_nesting_a_hundred_thousand_deep_is_refused():
    assert refusal(crafted.deep_nesting()).code == "invalid_pdf"


def test_a_password_to_open_is_refused():
    error = refusal(crafted.encrypted(user_password="secret"))

    assert error.code == "encrypted_pdf"
    assert error.messages == ["PDF 文件设有打开密码，请去除密码后重新导出上传。"]


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
        b"not a pdf at all\n%%EOF",
        b"<html>\n" + crafted.honest(),
    ],
    ids=["HTML with a PDF header", "catalog without pages", "text", "PDF after a page"],
)
def test_what_is_no_document_is_refused(content):
    error = refusal(content)

    assert error.code == "invalid_pdf"
    assert error.messages == ["文件不是有效的 PDF，请重新导出后上传。"]


def test_parsing_past_the_time_limit_is_refused(monkeypatch):
    monkeypatch.setattr(pdfs, "PARSE_SECONDS", 0.001)

    error = refusal(crafted.honest())

    assert error.code == "complex_pdf"
    assert error.messages == ["PDF 文件过于复杂，无法检查，请另存为普通 PDF 或拆分后上传。"]


def test_a_parser_that_dies_is_a_refusal_not_an_error(monkeypatch, caplog):
    monkeypatch.setattr(pdfs.sys, "executable", "/bin/false")

    assert refusal(crafted.honest()).code == "complex_pdf"
    assert "the parser exited with 1" in caplog.text
