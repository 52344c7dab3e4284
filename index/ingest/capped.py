"""The caps every file is read under, and a `.jsonl.gz` read as a stream under them, checked
before anything is held whole.

A file is at most MAX_FILE_BYTES and a JSON line at most MAX_RECORD_BYTES. A gzip file can
inflate a thousand times: one megabyte can hold a gigabyte-long line, or a gigabyte of small
valid records. So a compressed file has the cap of a plain file; it may inflate to at most
MAX_INFLATE_RATIO times its size and MAX_INFLATED_BYTES in all, which a first pass counts in
pieces before any record is read (a file over it is refused whole, as a plain file over the
cap is); and each line is read with a bounded readline, so one longer than MAX_RECORD_BYTES is
measured and skipped in pieces, never held.

A PDF's streams are compressed too, and its pages may all show one stream: a 10 kB file
showed 160 million characters. So pypdf inflates a stream to at most MAX_PDF_STREAM_BYTES,
and a PDF's pages are read until their text passes MAX_RECORD_BYTES (a PDF is one article).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from io import BufferedIOBase
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import NewsdeskError

if TYPE_CHECKING:
    from pypdf import PageObject

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RECORD_BYTES = 5 * 1024 * 1024
# News text as JSON lines compresses 3 to 5 times (the bench dumps under ../shared/bench 2.8
# times, the largest inflating to 52 MB); a bomb a thousand times.
MAX_INFLATE_RATIO = 20
MAX_INFLATED_BYTES = 250 * 10**6
# A tiny file compresses its few repeated field names far better than 20 times: harmless.
MIN_INFLATE_LIMIT = 10**6
READ_PIECE_BYTES = 1024 * 1024
# pypdf's own default is 75 MB; a page's content stream is rarely over 1 MB, and a page
# showing one string of 60 MB held 800 MB while it was read.
MAX_PDF_STREAM_BYTES = 10 * 10**6
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


class UnreadableFile(NewsdeskError):
    """Raised inside a loader; the message is what the operator sees next to the file name."""


# A line of the file: its bytes, or, for a line longer than MAX_RECORD_BYTES, its length.
Line = bytes | int


def checked_size(path: Path) -> int:
    """The file's size; UnreadableFile if it is over MAX_FILE_BYTES."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"too large ({size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES // 10**6} MB)"
        )
    return size


def inflate_limit(size: int) -> int:
    """The most a compressed file of `size` bytes may inflate to."""
    return min(MAX_INFLATED_BYTES, max(MIN_INFLATE_LIMIT, size * MAX_INFLATE_RATIO))


def gzip_lines(path: Path) -> Iterator[tuple[int, Line]]:
    """The numbered lines of a gzip file, after checking what it inflates to."""
    size = checked_size(path)
    _check_inflated_size(path, size)
    try:
        with gzip.open(path, "rb") as stream:
            yield from bounded_lines(stream)
    except GZIP_ERRORS as error:
        raise UnreadableFile(f"not a valid gzip file ({error})") from error


def _check_inflated_size(path: Path, size: int) -> None:
    limit = inflate_limit(size)
    inflated = 0
    try:
        with gzip.open(path, "rb") as stream:
            while piece := stream.read(READ_PIECE_BYTES):
                inflated += len(piece)
                if inflated > limit:
                    raise UnreadableFile(
                        f"too large once decompressed (over {limit / 1e6:.0f} MB from "
                        f"{size / 1e6:.1f} MB; a compressed file may inflate "
                        f"{MAX_INFLATE_RATIO} times, to at most {MAX_INFLATED_BYTES // 10**6} MB)"
                    )
    except GZIP_ERRORS:
        return  # damaged or cut short: the reading pass keeps what comes before and says so


def bounded_lines(stream: BufferedIOBase) -> Iterator[tuple[int, Line]]:
    """Numbered lines, each read with at most MAX_RECORD_BYTES + 1 bytes held: a longer one
    is read on in pieces to its end and given as its length."""
    number = 0
    while line := stream.readline(MAX_RECORD_BYTES + 1):
        number += 1
        if len(line) <= MAX_RECORD_BYTES or line.endswith(b"\n"):
            yield number, line
            continue
        length = len(line)
        del line  # before reading on: at most one piece of the line is held at a time
        while piece := stream.readline(READ_PIECE_BYTES):
            length += len(piece)
            if piece.endswith(b"\n"):
                break
        yield number, length


@contextmanager
def pdf_limits() -> Iterator[None]:
    """pypdf's caps on what one stream may inflate to, lowered for the PDFs read inside."""
    from pypdf import apply_configuration

    limit = MAX_PDF_STREAM_BYTES
    with apply_configuration(
        zlib_maximum_output_length=limit,
        lzw_maximum_output_length=limit,
        run_length_maximum_output_length=limit,
        brotli_maximum_output_length=limit,
        array_based_stream_maximum_output_length=limit,
    ):
        yield


def pdf_page_texts(pages: Iterable[PageObject]) -> list[str]:
    """The text of each page, read until they pass MAX_RECORD_BYTES together."""
    texts: list[str] = []
    length = 0
    for number, page in enumerate(pages, start=1):
        texts.append((page.extract_text() or "").strip())
        length += len(texts[-1])
        if length > MAX_RECORD_BYTES:
            raise UnreadableFile(
                f"too much text (over {MAX_RECORD_BYTES // 10**6} MB by page {number}; "
                "a PDF is one article, and an article is at most that)"
            )
    return texts
