"""Uploaded PDFs: read with a real parser, rewritten without anything that can act.

A PDF can act as well as show: run JavaScript when opened (/OpenAction, ISO 32000-1 §12.6.4.16),
on a page or field event (/AA, §12.6.3), from a link or a form button (/A: /Launch §12.6.4.5,
/URI §12.6.4.7, /SubmitForm and /ImportData §12.7.5), carry files (/EmbeddedFiles, §7.11.4),
Flash or video (/RichMedia) and XFA forms with their own scripts (§12.7.8). Searching the bytes
for those names fails: since PDF 1.5 dictionaries may sit compressed in object streams, a name may
be spelt with #xx escapes and a comment may stand between a key and its value. So an upload is
opened with qpdf (through pikepdf), every dictionary the document reaches is visited after
decompression, everything that can act is removed, and the document is written anew. What is
stored is qpdf's output, never the uploaded bytes; whatever the file held outside its objects
(an HTML page after %%EOF, a comment) is gone with them.

Parsing is done in a child process with a wall-clock limit and an address-space limit (OWASP
ASVS 12.1.2, "compressed files are checked for decompression bombs"): a flate stream inflates
up to a thousandfold, twice over when its filters are stacked, and a page tree may name one page
a billion times. A child killed by either limit is a refusal with a clear message, never a 500
or a worker held past gunicorn's timeout. The page tree is walked before qpdf lists the pages
(qpdf copies a page that appears twice, so a tree of shared nodes would multiply).

Stream data is stored as it came, never inflated by the server; but what is stored is what a
reviewer's or visitor's PDF viewer inflates. So the rewrite measures, without keeping it, what
every stream the document reaches inflates to, and refuses a document past MAX_INFLATED_BYTES
in all (issue 17, finding 8: 5 KB that inflate to 2 GiB, flate applied twice, were stored and
served to reviewers). Flate is inflated piece by piece and counting stops at the bound, so a
bomb costs a fraction of a second; a stream with other generic filters (LZW, run length,
ASCII encodings) is decoded whole in the child, under its memory limit; images' own codecs
(JPEG, JPEG 2000, fax, JBIG2) are counted as stored.

Both announcement attachments (plans/admin.py) and applicants' documents
(applications/documents.py) go through clean(); `python -m rentcenter.pdfs` is the child.
"""

import contextlib
import io
import logging
import subprocess
import sys
import zlib
from pathlib import Path

import pikepdf
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

# A contract, a year of social-insurance statements or a signed notice is well under 30 pages;
# 100 leaves room for a long scanned notice and bounds the work one upload can ask for.
MAX_PAGES = 100
# Parsing and rewriting a 20 MB scan takes well under a second; 8 s allows a loaded machine and
# leaves most of gunicorn's 30 s timeout (README, "Deploying for real") to the rest of the request.
PARSE_SECONDS = 8
# What the child may map: Python with pikepdf takes about 40 MB, a 20 MB attachment a few times
# its size while qpdf holds it. An object stream inflating to gigabytes stops here.
PARSE_MEMORY_BYTES = 512 * 1024 * 1024

# What all of a document's streams may inflate to, together. A 20 MB scan with flate-compressed
# pages inflates to well under 200 MB; a page's text and drawing, to kilobytes.
MAX_INFLATED_BYTES = 256 * 1024 * 1024
# Flate is inflated this much at a time while measuring.
INFLATE_CHUNK = 1024 * 1024
FLATE = frozenset({"/FlateDecode", "/Fl"})
# Decoded by a viewer into pixels, not into more PDF: counted as stored.
IMAGE_CODECS = frozenset(
    {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}
)

# The page tree is walked before qpdf lists the pages: past this many nodes it is no document.
MAX_PAGE_TREE_NODES = 4 * MAX_PAGES

# Keys whose value acts or carries content a reader would run or open, wherever they appear:
# document and page actions, additional actions of pages, fields and annotations, the
# JavaScript and EmbeddedFiles name trees, files in file specifications (/EF) and associated
# files (/AF, PDF 2.0), XFA forms, RichMedia content, chained actions (/Next), links' URI
# actions kept for accessibility (/PA), the catalog's base URI, slide shows and renditions.
ACTIVE_KEYS = frozenset(
    {
        "/OpenAction",
        "/AA",
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EF",
        "/AF",
        "/XFA",
        "/NeedsRendering",
        "/RichMediaContent",
        "/RichMediaSettings",
        "/Next",
        "/PA",
        "/URI",
        "/AlternatePresentations",
        "/Renditions",
        "/Collection",
    }
)
# An /A action is kept only if it moves within the document (§12.6.4.2): outlines and links.
HARMLESS_ACTIONS = frozenset({"/GoTo"})
# Annotations that exist to play, open or run something (§12.5.6): removed from their pages.
ACTIVE_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)

# How the child tells the parent why it refused (exit status REFUSED, the code on stdout).
REFUSED = 3
REFUSALS = {
    "password": ValidationError(
        "PDF 文件设有打开密码，请去除密码后重新导出上传。", code="encrypted_pdf"
    ),
    "unreadable": ValidationError("文件不是有效的 PDF，请重新导出后上传。", code="invalid_pdf"),
    "too_many_pages": ValidationError(
        f"PDF 文件不能超过 {MAX_PAGES} 页，请拆分后分别上传。", code="too_many_pages"
    ),
    "inflates_too_much": ValidationError(
        "PDF 文件解压后的内容过大，请另存为普通 PDF 或拆分后上传。", code="inflates_too_much"
    ),
}
TRUNCATED = ValidationError("PDF 文件不完整，请重新导出后上传。", code="truncated_pdf")
TOO_COMPLEX = ValidationError(
    "PDF 文件过于复杂，无法检查，请另存为普通 PDF 或拆分后上传。", code="complex_pdf"
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def clean(content: bytes) -> bytes:
    """The PDF rewritten without active content, or ValidationError saying why it is refused."""
    # A PDF begins with its header (§7.5.2); qpdf would look further and rebuild what it finds.
    if not content.startswith(b"%PDF-"):
        raise REFUSALS["unreadable"]
    # A file ends with %%EOF (§7.5.5; readers look for it in the last 1024 bytes, after any
    # padding). qpdf would rebuild a file cut short by a dropped upload from what arrived, and
    # store half a contract; the applicant should send it again.
    if b"%%EOF" not in content.rstrip(b"\0\t\n\f\r ")[-1024:]:
        raise TRUNCATED
    try:
        child = subprocess.run(
            [sys.executable, "-m", "rentcenter.pdfs"],
            input=content,
            capture_output=True,
            timeout=PARSE_SECONDS,
            cwd=PROJECT_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning("PDF refused: parsing took over %s s", PARSE_SECONDS)
        raise TOO_COMPLEX from None
    if child.returncode == 0 and child.stdout.startswith(b"%PDF-"):
        return child.stdout
    if child.returncode == REFUSED:
        raise REFUSALS.get(child.stdout.decode("ascii", "replace"), REFUSALS["unreadable"])
    logger.warning(
        "PDF refused: the parser exited with %s: %s",
        child.returncode,
        child.stderr[-500:].decode("utf-8", "replace"),
    )
    raise TOO_COMPLEX


class Refusal(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def rewrite(content: bytes) -> bytes:
    """The document written anew by qpdf without active content, or Refusal.

    Runs in the child process; call clean(), which bounds its time and memory.
    """
    try:
        # Attributes are not pushed down the page tree on opening: that lists the pages before
        # _count_pages has checked the tree.
        pdf = pikepdf.open(io.BytesIO(content), inherit_page_attributes=False)
    except pikepdf.PasswordError:
        raise Refusal("password") from None
    except (pikepdf.PdfError, ValueError):
        raise Refusal("unreadable") from None
    try:
        with pdf:
            if _count_pages(pdf) == 0:
                raise Refusal("unreadable")
            _disarm(pdf)
            _bound_inflated_size(pdf)
            output = io.BytesIO()
            # Written without encryption: a file that opens without a password (permissions
            # only) was read in full above, and is stored readable. Object streams are not
            # generated, so every dictionary of the stored file can be read as it is. Stream
            # data is copied as it came, never inflated (not even to compress it anew): page
            # content costs the server nothing, and a stream that would inflate to gigabytes
            # stays as small as it was sent.
            pdf.save(
                output,
                encryption=False,
                object_stream_mode=pikepdf.ObjectStreamMode.disable,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                compress_streams=False,
                fix_metadata_version=False,
                deterministic_id=True,
            )
    except pikepdf.PdfError:
        raise Refusal("unreadable") from None
    return output.getvalue()


def _count_pages(pdf: pikepdf.Pdf) -> int:
    """The leaves of the page tree (§7.7.3.2), refusing a tree that repeats or loops."""
    root = pdf.Root.get("/Pages")
    if not isinstance(root, pikepdf.Dictionary):
        raise Refusal("unreadable")
    seen: set[tuple[int, int]] = set()
    pending, pages, nodes = [root], 0, 0
    while pending:
        node = pending.pop()
        nodes += 1
        if nodes > MAX_PAGE_TREE_NODES:
            raise Refusal("too_many_pages")
        if node.is_indirect:
            if node.objgen in seen:
                raise Refusal("unreadable")  # a page or a subtree reached twice
            seen.add(node.objgen)
        kids = node.get("/Kids")
        if node.get("/Type") == pikepdf.Name.Pages or kids is not None:
            if not isinstance(kids, pikepdf.Array):
                raise Refusal("unreadable")
            pending.extend(kid for kid in kids if isinstance(kid, pikepdf.Dictionary))
            continue
        pages += 1
        if pages > MAX_PAGES:
            raise Refusal("too_many_pages")
    return pages


def _disarm(pdf: pikepdf.Pdf) -> None:
    """Remove active content from every dictionary reachable from the trailer.

    qpdf writes only what the trailer reaches, so an action or a file no longer referenced is
    not written at all. Indirect objects are visited once; direct ones where they sit.
    """
    seen: set[tuple[int, int]] = set()
    pending: list[pikepdf.Object] = [pdf.trailer]
    while pending:
        obj = pending.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            pending.extend(item for item in obj if _is_container(item))
            continue
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        for key in ACTIVE_KEYS.intersection(obj.keys()):
            del obj[key]
        action = obj.get("/A")
        if action is not None and not (
            isinstance(action, pikepdf.Dictionary) and action.get("/S") in HARMLESS_ACTIONS
        ):
            del obj["/A"]
        annotations = obj.get("/Annots")
        if isinstance(annotations, pikepdf.Array):
            kept = [note for note in annotations if not _is_active_annotation(note)]
            if len(kept) != len(annotations):
                obj["/Annots"] = pikepdf.Array(kept)
        pending.extend(value for value in obj.values() if _is_container(value))


def _reachable_streams(pdf: pikepdf.Pdf):
    """Every stream the trailer reaches (what qpdf writes), each once."""
    seen: set[tuple[int, int]] = set()
    pending: list[pikepdf.Object] = [pdf.trailer]
    while pending:
        obj = pending.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            pending.extend(item for item in obj if _is_container(item))
        elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if isinstance(obj, pikepdf.Stream):
                yield obj
            pending.extend(value for value in obj.values() if _is_container(value))


def _filters(stream: pikepdf.Stream) -> list[str]:
    chain = stream.get("/Filter")
    if chain is None:
        return []
    if isinstance(chain, pikepdf.Array):
        return [str(name) for name in chain]
    return [str(chain)]


def _bound_inflated_size(pdf: pikepdf.Pdf) -> None:
    """Refusal("inflates_too_much") when the streams inflate past MAX_INFLATED_BYTES in all."""
    left = MAX_INFLATED_BYTES
    for stream in _reachable_streams(pdf):
        filters = _filters(stream)
        if filters and all(name in FLATE for name in filters):
            size = _inflated_size(stream.read_raw_bytes(), stages=len(filters), budget=left)
        elif filters and not IMAGE_CODECS.intersection(filters):
            try:
                size = len(stream.read_bytes(pikepdf.StreamDecodeLevel.generalized))
            except pikepdf.PdfError:
                size = len(stream.read_raw_bytes())  # undecodable: no viewer inflates it either
        else:
            size = len(stream.read_raw_bytes())
        left -= size
        if left < 0:
            raise Refusal("inflates_too_much")


def _inflated_size(data: bytes, *, stages: int, budget: int) -> int:
    """What `data` inflates to through `stages` flate filters, piece by piece; budget + 1 as
    soon as it is past `budget`. A stream that is no valid flate counts as far as it inflated."""
    decoders = [zlib.decompressobj() for _ in range(stages)]
    total = 0

    def feed(stage: int, chunk: bytes) -> bool:
        """Inflate `chunk` through the stages from `stage` on; False once past the budget."""
        nonlocal total
        decoder = decoders[stage]
        while True:
            out = decoder.decompress(chunk, INFLATE_CHUNK)
            chunk = decoder.unconsumed_tail
            if stage + 1 == stages:
                total += len(out)
                if total > budget:
                    return False
            elif out and not feed(stage + 1, out):
                return False
            # Done when the input is used up and nothing more is pending (an output that
            # filled the chunk may have more behind it).
            if not chunk and (not out or decoder.eof):
                return True

    with contextlib.suppress(zlib.error):
        feed(0, data)
    return min(total, budget + 1)


def _is_container(obj: pikepdf.Object) -> bool:
    return isinstance(obj, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream)


def _is_active_annotation(annotation: pikepdf.Object) -> bool:
    return (
        isinstance(annotation, pikepdf.Dictionary)
        and annotation.get("/Subtype") in ACTIVE_ANNOTATIONS
    )


def _child() -> int:
    """Read a PDF on stdin, write the rewritten one on stdout, within the process's limits."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY_BYTES, PARSE_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (PARSE_SECONDS, PARSE_SECONDS))
    content = sys.stdin.buffer.read()
    try:
        cleaned = rewrite(content)
    except Refusal as refusal:
        sys.stdout.write(refusal.code)
        return REFUSED
    sys.stdout.buffer.write(cleaned)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
