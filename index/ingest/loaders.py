"""Files and folders into Articles; anything unreadable becomes a LoadProblem, never a crash."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from index.articles import (
    HTML_SUFFIXES,
    PDF_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    Article,
    LoadProblem,
    normalize_date,
)
from index.ingest.capped import (
    MAX_PDF_STREAM_BYTES,
    MAX_RECORD_BYTES,
    Line,
    UnreadableFile,
    checked_size,
    gzip_lines,
    pdf_limits,
    pdf_page_texts,
)

# Less text than this on a page is a menu, a paywall or an error page, not an article.
MIN_HTML_TEXT_CHARS = 100

Loaded = Article | LoadProblem


def kind_of(path: Path) -> str | None:
    """The supported suffix a path ends with, or None."""
    name = path.name.lower()
    return next((suffix for suffix in SUPPORTED_SUFFIXES if name.endswith(suffix)), None)


def load_paths(paths: Iterable[Path], include: Sequence[str] = ()) -> Iterator[Loaded]:
    """Every article under the given files and folders (folders recursively, hidden files
    skipped, only names matching one of the `include` glob patterns when there are any), in a
    stable order. Each article and problem carries the file it came from as its origin."""
    for path in paths:
        if not path.exists():
            yield LoadProblem(str(path), "no such file or directory", origin=str(path.absolute()))
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path)
                hidden = any(part.startswith(".") for part in relative.parts)
                wanted = not include or any(relative.match(pattern) for pattern in include)
                if file.is_file() and not hidden and kind_of(file) and wanted:
                    yield from _with_origin(file)
        else:
            yield from _with_origin(path)


def _with_origin(path: Path) -> Iterator[Loaded]:
    origin = str(path.resolve())
    for item in load_file(path):
        yield replace(item, origin=origin)


def load_file(path: Path) -> Iterator[Loaded]:
    """The articles in one file; a file that can't be read yields one LoadProblem naming it."""
    kind = kind_of(path)
    where = str(path)
    if kind is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        yield LoadProblem(where, f"unsupported file type (supported: {supported})")
        return
    try:
        if kind == ".jsonl.gz":
            yield from _load_jsonl(path, gzip_lines(path))
            return
        raw = _read_bytes(path)
        if kind in TEXT_SUFFIXES:
            yield _load_text(path, _decode(raw))
        elif kind in HTML_SUFFIXES:
            yield _load_html(path, raw)
        elif kind in PDF_SUFFIXES:
            yield _load_pdf(path, raw)
        elif kind == ".jsonl":
            yield from _load_jsonl(path, enumerate(raw.splitlines(), start=1))
        else:
            yield from _load_json(path, _decode(raw))
    except UnreadableFile as problem:
        yield LoadProblem(where, str(problem))
    except OSError as error:
        yield LoadProblem(where, f"could not be read ({error.strerror or error})")
    except Exception as error:  # a parser's own bug must not stop the batch
        # pypdf, trafilatura and the JSON readers raise more than they document (pypdf
        # asserts on a reference inside a content stream): any of it is this file's problem.
        yield LoadProblem(where, f"could not be read ({type(error).__name__}: {error})"[:300])


def _read_bytes(path: Path) -> bytes:
    checked_size(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableFile("empty file")
    if b"\x00" in raw[:8192] and kind_of(path) not in PDF_SUFFIXES:
        raise UnreadableFile("binary file, not text")
    return raw


def _load_pdf(path: Path, raw: bytes) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    if not raw.startswith(b"%PDF-"):
        raise UnreadableFile("not a PDF file (no %PDF- header)")
    try:
        with pdf_limits():
            reader = PdfReader(io.BytesIO(raw))
            pages = pdf_page_texts(reader.pages)
            info = reader.metadata
            created = info.creation_date if info else None
    except LimitReachedError as error:
        raise UnreadableFile(
            f"a stream in it inflates past the limit of {MAX_PDF_STREAM_BYTES // 10**6} MB "
            f"({error})"
        ) from error
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise UnreadableFile(f"damaged PDF ({type(error).__name__}: {error})") from error
    text = "\n\n".join(page for page in pages if page)
    if not text:
        raise UnreadableFile("the PDF has no text layer (scanned pages can't be read)")
    title = str(info.title).strip() if info and info.title else ""
    if not title:
        title, _, rest = text.partition("\n")
        text = rest.strip() or text
    return Article(
        key=str(path.resolve()),
        title=title.strip()[:200],
        text=text,
        source=path.name,
        published=normalize_date(created),
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = raw[error.start : error.start + 1].hex()
        raise UnreadableFile(
            f"not valid UTF-8 text (byte 0x{byte} at offset {error.start}); save it as UTF-8"
        ) from error


def _load_text(path: Path, text: str) -> Loaded:
    lines = text.strip().splitlines()
    title = lines[0].strip().lstrip("#").strip()
    body = "\n".join(lines[1:]).strip()
    if not body:
        return LoadProblem(str(path), "has a title line but no article text after it")
    return Article(key=str(path.resolve()), title=title, text=body, source=path.name)


def _load_html(path: Path, raw: bytes) -> Loaded:
    return article_from_html(raw, where=str(path), key="", default_title=path.stem)


def article_from_html(
    raw: bytes, *, where: str, key: str, default_title: str, url: str = ""
) -> Loaded:
    """The main text of a news page, with title, date and site name from its metadata. The key
    is the one given, else the page's canonical url, else `where`."""
    import trafilatura  # heavy import, only when there is HTML to read

    document = trafilatura.bare_extraction(
        raw, url=url or None, with_metadata=True, include_comments=False, favor_precision=True
    )
    text = (getattr(document, "text", None) or "").strip() if document else ""
    if len(text) < MIN_HTML_TEXT_CHARS:
        return LoadProblem(
            where, f"no article text found in the HTML (only {len(text)} characters of text)"
        )
    meta = {k: getattr(document, k, None) or "" for k in ("title", "url", "date", "sitename")}
    page_url = str(meta["url"] or url)
    return Article(
        key=key or page_url or str(Path(where).resolve()),
        title=str(meta["title"] or default_title),
        text=text,
        url=page_url,
        source=str(meta["sitename"]),
        published=normalize_date(meta["date"]),
    )


def _load_jsonl(path: Path, lines: Iterable[tuple[int, Line]]) -> Iterator[Loaded]:
    seen_any = False
    for number, line in lines:
        if isinstance(line, bytes) and not line.strip():
            continue
        seen_any = True
        where = f"{path}:{number}"
        length = line if isinstance(line, int) else len(line)
        if isinstance(line, int) or length > MAX_RECORD_BYTES:
            limit = MAX_RECORD_BYTES // 10**6
            yield LoadProblem(
                where, f"record too large ({length / 1e6:.0f} MB; the limit is {limit} MB)"
            )
            continue
        try:
            record = json.loads(_decode(line))
        except UnreadableFile as problem:
            yield LoadProblem(where, str(problem))
            continue
        except json.JSONDecodeError as error:
            yield LoadProblem(where, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        yield _record_to_article(path, record, where, fallback_id=str(number))
    if not seen_any:
        raise UnreadableFile("empty file")


def _load_json(path: Path, text: str) -> Iterator[Loaded]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from error
    records = data if isinstance(data, list) else [data]
    for position, record in enumerate(records):
        where = f"{path}[{position}]" if isinstance(data, list) else str(path)
        yield _record_to_article(path, record, where, fallback_id=str(position))


def _text_field(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return value.strip() if isinstance(value, str) else ""


def _record_to_article(path: Path, record: object, where: str, fallback_id: str) -> Loaded:
    if not isinstance(record, dict):
        return LoadProblem(where, f"expected a JSON object, got {type(record).__name__}")
    text = _text_field(record, "text")
    if not text:
        return LoadProblem(where, 'record has no "text"')
    url = _text_field(record, "url")
    record_id = record.get("id")
    identity = str(record_id) if isinstance(record_id, str | int) else fallback_id
    title = _text_field(record, "title") or text.splitlines()[0][:100]
    return Article(
        key=url or f"{path.resolve()}#{identity}",
        title=title,
        text=text,
        url=url,
        source=_text_field(record, "source"),
        published=normalize_date(record.get("published")),
    )
