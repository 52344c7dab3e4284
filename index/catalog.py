"""The indexed articles as an operator sees them (`newsdesk articles`, Telegram's /articles):
listed a page at a time, newest first, narrowed to titles holding a text; one shown with
the start of its text; one removed.

An article's id is a short hash of its key (a url or file path can be long), so it is the same
on every machine and every run. Removing an article deletes its chunks from the store and the
keyword index under the store's writer lock, as an indexing run would. The manifest that makes
indexing incremental is the chunk metadata itself (index/pipeline.py), so nothing else records
the article: the next `newsdesk index` of a source that still holds it indexes it again as new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from index.chunking import join_chunks
from index.collections import DEFAULT_COLLECTION, Scope, collection_of
from index.errors import NewsdeskError
from index.keyword import KeywordSync
from index.store import ArticleStore

ID_CHARS = 12
# A prefix of an id shorter than this is too likely to name several articles.
MIN_PREFIX = 4
PER_PAGE = 10  # a Telegram message's worth
SOURCE_CHARS = 40
QUOTED_CHARS = 80


class CatalogError(NewsdeskError):
    """No such article (or page); the message says what was asked and where to look."""


def quoted(text: str, most: int = QUOTED_CHARS) -> str:
    """`text` quoted for a message, cut short if long (a search or id may be anything)."""
    return repr(text if len(text) <= most else text[: most - 1] + "…")


def article_id(key: str) -> str:
    """The article's short id: stable, since its key is."""
    return hashlib.sha256(key.encode()).hexdigest()[:ID_CHARS]


@dataclass(frozen=True)
class ArticleSummary:
    """One stored article: what the list shows, and its chunks' ids for `show` and `rm`."""

    id: str
    key: str
    title: str
    source: str
    published: str
    url: str
    origin: str
    chunk_ids: frozenset[str]
    # Its story (index/stories.py): its own id, or that of the article from another outlet it
    # is a copy of; "" for an article stored before stories, until the next indexing run.
    story: str = ""
    collection: str = DEFAULT_COLLECTION

    @property
    def chunks(self) -> int:
        return len(self.chunk_ids)

    def line(self, title_chars: int = 80) -> str:
        """One line of a listing: id, date, source, title and chunk count."""
        title = self.title or "(untitled)"
        if len(title) > title_chars:
            title = title[: title_chars - 1] + "…"
        source = (self.source or "-")[:SOURCE_CHARS]
        return f"{self.id}  {self.published or '-':<10}  {source}  {title}  ({self.chunks} chunks)"


@dataclass(frozen=True)
class ArticlePage:
    articles: list[ArticleSummary]
    page: int
    pages: int
    total: int  # the articles matching the search, on every page
    search: str
    per_page: int
    collections: Scope = None

    def heading(self) -> str:
        where = f" in {', '.join(self.collections)}" if self.collections else ""
        if not self.total:
            matching = f" with {quoted(self.search)} in the title" if self.search else ""
            return f"no articles{where}{matching}"
        first = (self.page - 1) * self.per_page + 1
        matching = where + (f" matching {quoted(self.search)}" if self.search else "")
        shown = f"{first}-{first + len(self.articles) - 1}" if self.articles else "none"
        return f"articles{matching}: {shown} of {self.total} (page {self.page} of {self.pages})"


def all_articles(store: ArticleStore) -> list[ArticleSummary]:
    """Every stored article, newest first (undated last), then by title: one read of the
    metadata of every chunk, about a second for 26,000 chunks."""
    chunks: dict[str, list[str]] = {}
    first: dict[str, dict[str, Any]] = {}
    for chunk_id, meta in store.all_metadata():
        key = str(meta.get("article", ""))
        chunks.setdefault(key, []).append(chunk_id)
        if key not in first or int(meta.get("position", 0)) == 0:
            first[key] = meta
    found = [_summary(key, first[key], ids) for key, ids in chunks.items()]
    found.sort(key=lambda a: a.title.casefold())
    found.sort(key=lambda a: a.published if a.published[:4].isdigit() else "", reverse=True)
    return found


def _summary(key: str, meta: dict[str, Any], chunk_ids: list[str]) -> ArticleSummary:
    return ArticleSummary(
        id=article_id(key),
        key=key,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        published=str(meta.get("published", "")),
        url=str(meta.get("url", "")),
        origin=str(meta.get("origin", "")),
        chunk_ids=frozenset(chunk_ids),
        story=str(meta.get("story", "")),
        collection=collection_of(meta),
    )


def list_page(
    store: ArticleStore,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    search: str = "",
    clamp: bool = False,
    collections: Scope = None,
) -> ArticlePage:
    """Page `page` (from 1) of the articles whose title holds `search` (any case), of
    `collections` alone if given. A page past the last is an error, or with `clamp` the last
    page (a button under a listing that has since shrunk)."""
    if page < 1 or per_page < 1:
        raise CatalogError("the page and the number per page start at 1")
    wanted = search.strip().casefold()
    matching = [
        a
        for a in all_articles(store)
        if wanted in a.title.casefold() and (collections is None or a.collection in collections)
    ]
    pages = max(1, -(-len(matching) // per_page))
    if clamp:
        page = min(page, pages)
    if matching and page > pages:
        raise CatalogError(
            f"page {page} is past the last one: {len(matching)} articles make "
            f"{pages} pages of {per_page}"
        )
    start = (page - 1) * per_page
    shown = matching[start : start + per_page]
    return ArticlePage(shown, page, pages, len(matching), search, per_page, collections)


def collection_counts(store: ArticleStore) -> dict[str, int]:
    """How many articles each collection holds, by name."""
    counts: dict[str, int] = {}
    for article in all_articles(store):
        counts[article.collection] = counts.get(article.collection, 0) + 1
    return dict(sorted(counts.items()))


def find_article(store: ArticleStore, wanted: str) -> ArticleSummary:
    """The article with this id, a unique start of one (MIN_PREFIX characters or more), or
    this key (its url or path)."""
    wanted = wanted.strip()
    if not wanted:
        raise CatalogError("give an article's id (see `newsdesk articles list`)")
    articles = all_articles(store)
    by_key = [a for a in articles if a.key == wanted]
    if by_key:
        return by_key[0]
    lowered = wanted.lower()
    found = [a for a in articles if a.id == lowered]
    if not found and len(lowered) >= MIN_PREFIX:
        found = [a for a in articles if a.id.startswith(lowered)]
    if len(found) == 1:
        return found[0]
    if found:
        ids = ", ".join(a.id for a in found[:5])
        raise CatalogError(
            f"{quoted(wanted)} is the start of several articles' ids ({ids}); give more"
        )
    where = "the index is empty" if not articles else "see `newsdesk articles list`"
    raise CatalogError(f"no article with id {quoted(wanted)} ({where})")


def article_text(store: ArticleStore, article: ArticleSummary) -> str:
    """The article's text as stored, its chunks joined in order, each overlap once."""
    return join_chunks(store.get_chunks(sorted(article.chunk_ids)))


def remove_article(
    store: ArticleStore,
    keyword: KeywordSync | None,
    article: ArticleSummary,
    waiting: Callable[[str], None] | None = None,
) -> int:
    """Delete the article's chunks from the store and the keyword index, holding the store's
    writer lock as an indexing run does (`waiting` hears if another run holds it); returns
    the chunks removed, read again under the lock (a run may have changed them since)."""
    with store.writing(waiting):
        stored = store.articles([article.key]).get(article.key)
        ids = sorted(stored.chunk_ids) if stored else []
        if keyword is not None:
            keyword.begin_changes(store)
        store.delete(ids)
        if keyword is not None:
            keyword.apply([], ids)
    return len(ids)
