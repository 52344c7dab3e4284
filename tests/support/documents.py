"""Small real documents built in tests: a PDF with a text layer, written byte by byte, and
a PDF bomb."""

from __future__ import annotations

import zlib


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(lines: list[str], title: str | None = None, operators: str = "") -> bytes:
    """A one-page PDF whose text layer holds `lines` (none: a page without text, like a scan);
    `operators` are written into the page's content stream as they are."""
    shown = "".join(f"({_pdf_string(line)}) Tj T* " for line in lines)
    content = f"BT /F1 11 Tf 14 TL 72 720 Td {shown}{operators}ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title is not None:
        objects.append(f"<< /Title ({_pdf_string(title)}) >>".encode("latin-1"))
    return _pdf_file(objects, info=len(objects) if title is not None else None)


def make_pdf_bomb(pages: int, text_bytes: int) -> bytes:
    """A PDF of `pages` pages that all show one compressed stream of `text_bytes` of text."""
    text = b"BT /F1 11 Tf 72 720 Td (" + b"a " * (text_bytes // 2) + b") Tj ET"
    packed = zlib.compress(text, 9)
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages)).encode()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
    page += b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + pages)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        *[page] * pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _pdf_file(objects)


def _pdf_file(objects: list[bytes], info: int | None = None) -> bytes:
    """The numbered objects (the first the catalog) as a PDF file, with `info` the number of
    the document information object if there is one."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    shown = b" /Info %d 0 R" % info if info is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, shown)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
