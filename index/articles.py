"""What an article is, once loaded from any format, and the file formats it is loaded from
(`index.ingest.loaders` reads them; the CLI's help names them without importing it)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

# About 170 chunks: a long feature is a tenth of it, and 2 MB of text would be 2,500 chunks
# embedded before anything else could be indexed (see BENCHMARKS.md, "Indexing speed").
MAX_ARTICLE_CHARS = 100_000
TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSON_SUFFIXES = (".json", ".jsonl", ".jsonl.gz")
PDF_SUFFIXES = (".pdf",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSON_SUFFIXES + PDF_SUFFIXES
_DATE_PATTERNS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d %B %Y", "%B %d, %Y")


@dataclass(frozen=True)
class Article:
    """One news article. `key` is its stable identity: its url, its file path (with a record id
    for JSON files), or a feed entry's guid. `origin` is where it was read from: the file, the
    URL given, or `feed:` and the feed's URL; `newsdesk index --prune` works by origin."""

    key: str
    title: str
    text: str
    url: str = ""
    source: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) when it could be read, else as given
    origin: str = ""
    # The collection to index it into (index/collections.py); None: the one it is stored in
    # already, else `main`. Not part of the content hash: moving an article to another
    # collection rewrites its chunks' metadata, never its vectors.
    collection: str | None = None

    @property
    def content_hash(self) -> str:
        """Changes whenever anything that is embedded or shown changes."""
        fields = (self.key, self.title, self.text, self.url, self.source, self.published)
        return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoadProblem:
    """A file, line or record that could not be read, with the reason shown to the operator."""

    where: str
    reason: str
    origin: str = ""  # the file or URL whose articles must be kept, since it couldn't be read

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def normalize_date(raw: object) -> str:
    """Return an ISO date for the common shapes news feeds use, or the input as text."""
    if raw is None:
        return ""
    if isinstance(raw, datetime | date):
        return raw.isoformat()[:10]
    text = str(raw).strip()
    if not text:
        return ""
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        return iso.group(0)
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return text[:40]
