"""What one indexing run reads: files, folders, page URLs and feeds (`Sources`), and the
per-article size check every way in shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.articles import Article, LoadProblem
from index.ingest.loaders import Loaded
from index.ingest.web import is_url


@dataclass
class Sources:
    """What to read: paths (files or folders), page URLs, and feed URLs."""

    paths: list[Path] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)  # glob patterns for files in folders
    poll_feeds: bool = False  # whether `feeds` is the whole feed list (so prune may use it)
    # The collection the paths' and URLs' articles go into (index/collections.py); None: the
    # one each is stored in already, else `main`.
    collection: str | None = None
    # Each feed's collection, for those that name one (`newsdesk feeds add --collection`).
    feed_collections: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls, items: Sequence[str], include: Sequence[str] = (), collection: str | None = None
    ) -> Sources:
        """Command-line sources: anything with a scheme is a URL, the rest are paths."""
        return cls(
            paths=[Path(item).expanduser() for item in items if not is_url(item)],
            urls=[item for item in items if is_url(item)],
            include=list(include),
            collection=collection,
        )

    def is_empty(self) -> bool:
        return not (self.paths or self.urls or self.feeds)


def too_long(item: Loaded, max_chars: int) -> LoadProblem | None:
    """The problem to report instead of an article longer than `max_chars`, else None."""
    if not isinstance(item, Article) or len(item.text) <= max_chars:
        return None
    reason = (
        f"too long to index ({len(item.text):,} characters; the limit is {max_chars:,} "
        "per article, NEWSDESK_MAX_ARTICLE_CHARS)"
    )
    return LoadProblem(item.key, reason, origin=item.origin)
