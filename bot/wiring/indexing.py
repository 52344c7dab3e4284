"""`build_indexer`: what an indexing run writes to (`newsdesk index`, the bot's /reindex, the
feed poll, uploads), built from settings."""

from __future__ import annotations

from bot.settings import Settings
from bot.wiring.stores import configured_embeddings, open_article_store, open_keyword_index
from index.embeddings import SentenceTransformerEmbeddings
from index.indexer import Indexer
from index.ingest.fetch import FetchPolicy
from index.ingest.polling import EntryRetries
from index.keyword import KeywordIndex
from index.store import ArticleStore


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        timeout_seconds=settings.fetch_timeout_seconds,
        max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
        allow_private=settings.allow_private_urls,
    )


def build_indexer(
    settings: Settings,
    *,
    store: ArticleStore | None = None,
    keyword: KeywordIndex | None = None,
    embeddings: SentenceTransformerEmbeddings | None = None,
    entry_retries: EntryRetries | None = None,
) -> Indexer:
    """The indexing side; parts passed in are shared (the bot answers from what it indexes).
    The model loads only if something needs embedding, and the run itself keeps the keyword
    index in step. `entry_retries`: where failed feed entries wait (the shared state's),
    for a process that polls feeds."""
    store = store or open_article_store(settings)
    embeddings = embeddings or configured_embeddings(settings, store, lazy=True)
    store.check_embedding(embeddings.identity)
    return Indexer(
        store=store,
        embeddings=embeddings,
        keyword=(keyword if keyword is not None else open_keyword_index(settings)).sync,
        fetch_policy=fetch_policy(settings),
        max_article_chars=settings.max_article_chars,
        feed_poll_seconds=settings.feed_poll_deadline_seconds,
        entry_retries=entry_retries,
    )
