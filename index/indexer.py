"""The Indexer: one indexing run over what `Sources` name, read by `index.ingest` and written
by `index.pipeline`. What `newsdesk index`, the bot's /reindex, uploads and the feed poll all
run."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from index.articles import MAX_ARTICLE_CHARS, Article
from index.embeddings import SentenceTransformerEmbeddings
from index.ingest.fetch import FetchPolicy
from index.ingest.loaders import Loaded, load_paths
from index.ingest.polling import POLL_DEADLINE_SECONDS, EntryRetries, PollDeadline
from index.ingest.sources import Sources, too_long
from index.ingest.web import FEED_ORIGIN_PREFIX, load_feed, load_url
from index.keyword import KeywordSync
from index.pipeline import IndexSummary, Progress, PrunePolicy, index_articles
from index.store import ArticleStore


@dataclass
class Indexer:
    """The parts an indexing run writes to, passed in by whoever runs it."""

    store: ArticleStore
    embeddings: SentenceTransformerEmbeddings
    keyword: KeywordSync | None
    fetch_policy: FetchPolicy
    max_article_chars: int = MAX_ARTICLE_CHARS
    # Set when the process is shutting down: a run stops after the batch it is writing.
    stopping: threading.Event = field(default_factory=threading.Event)
    # One deadline for reading all the feeds of a run, and where failed entries wait.
    feed_poll_seconds: float = POLL_DEADLINE_SECONDS
    entry_retries: EntryRetries | None = None

    def run(
        self,
        sources: Sources,
        *,
        prune: bool = False,
        progress: Progress | None = None,
        loaded: Iterable[Loaded] | None = None,
    ) -> IndexSummary:
        """Index what `sources` name; `loaded`: what `load(sources)` already read."""
        return index_articles(
            self.load(sources) if loaded is None else loaded,
            self.store,
            self.embeddings,
            progress,
            self.keyword,
            prune=prune_policy(sources) if prune else None,
            stop=self.stopping.is_set,
        )

    def load(self, sources: Sources) -> Iterator[Loaded]:
        for item in self._read(sources):
            yield too_long(item, self.max_article_chars) or item

    def _read(self, sources: Sources) -> Iterator[Loaded]:
        for item in load_paths(sources.paths, sources.include):
            yield into(item, sources.collection)
        for url in sources.urls:
            yield into(load_url(url, self.fetch_policy), sources.collection)
        deadline = PollDeadline.start(self.feed_poll_seconds)
        for feed in sources.feeds:
            for entry in load_feed(
                feed,
                self.fetch_policy,
                self.store.has_article,
                deadline=deadline,
                retries=self.entry_retries,
            ):
                yield into(entry, sources.feed_collections.get(feed))


def into(item: Loaded, collection: str | None) -> Loaded:
    """An article read, bound for `collection` (None: where it is stored, else main)."""
    if collection is None or not isinstance(item, Article):
        return item
    return replace(item, collection=collection)


def prune_policy(sources: Sources) -> PrunePolicy:
    """Which stored articles are gone when this run didn't read them: those from a file under
    one of the paths (the file was deleted, or the record left it), from one of the URLs, or,
    when the whole feed list was polled, from a feed no longer on the list. Entries that merely
    scrolled off a feed stay: the news they carry is still news."""
    roots = [str(path.resolve()) for path in sources.paths]
    urls = set(sources.urls)
    feeds = {FEED_ORIGIN_PREFIX + url for url in sources.feeds}

    def gone(origin: str) -> bool:
        if origin.startswith(FEED_ORIGIN_PREFIX):
            return sources.poll_feeds and origin not in feeds
        if origin in urls:
            return True
        return any(origin == root or origin.startswith(root + os.sep) for root in roots)

    return gone
