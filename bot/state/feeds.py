"""The operator's feeds, in the shared database: every process polls and prunes by the same
list, in the order the feeds were added; and the feed entries whose page failed, with when
each is tried again (`index.ingest.polling`)."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import delete, select

from bot.state.database import Database
from bot.state.tables import feed_entry_failures, feeds
from index.collections import check_collection_name
from index.ingest.feeds import check_feed_url
from index.ingest.polling import EntryFailure
from index.ingest.sources import Sources

# A failure this old is of an entry long gone from its feed: forgotten.
FORGET_FAILURES_SECONDS = 30 * 24 * 3600.0
ENTRY_SHOWN_CHARS = 500
REASON_CHARS = 300


class FeedRecords:
    def __init__(self, database: Database) -> None:
        self.database = database

    def urls(self) -> list[str]:
        with self.database.transaction() as db:
            return list(db.scalars(select(feeds.c.url).order_by(feeds.c.id)))

    def polled(self) -> Sources:
        """Every listed feed, as a run polls them (so prune may go by the list), each with
        its collection."""
        return Sources(feeds=self.urls(), poll_feeds=True, feed_collections=self.collections())

    def collections(self) -> dict[str, str]:
        """The collection of each feed that names one (the rest are `main`'s)."""
        query = select(feeds.c.url, feeds.c.collection).where(feeds.c.collection.is_not(None))
        with self.database.transaction() as db:
            return {str(url): str(name) for url, name in db.execute(query)}

    def add(self, url: str, collection: str | None = None) -> bool:
        """Add a feed, its articles bound for `collection` (checked; None: main); False if it
        was already listed. FeedListError for a bad URL."""
        url = check_feed_url(url)
        name = check_collection_name(collection) if collection is not None else None
        with self.database.transaction() as db:
            return self.database.insert_new(
                db, feeds, url=url, added_at=time.time(), collection=name
            )

    def remove(self, url: str) -> bool:
        """Remove a feed; False if it wasn't listed."""
        with self.database.transaction() as db:
            return bool(db.execute(delete(feeds).where(feeds.c.url == url.strip())).rowcount)


def _entry_key(entry: str) -> str:
    return hashlib.sha256(entry.encode("utf-8", "replace")).hexdigest()


class FeedEntryFailures:
    """`index.ingest.polling.EntryRetries` in the shared database: whichever process polls
    next sees what failed before."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, entry: str) -> EntryFailure | None:
        table = feed_entry_failures
        query = select(table.c.failures, table.c.retry_at).where(table.c.key == _entry_key(entry))
        with self.database.transaction() as db:
            row = db.execute(query).first()
        return EntryFailure(int(row[0]), float(row[1])) if row else None

    def failed(self, entry: str, failure: EntryFailure, reason: str) -> None:
        now = time.time()
        record = self.database.upsert(
            feed_entry_failures,
            ["key"],
            key=_entry_key(entry),
            entry=entry[:ENTRY_SHOWN_CHARS],
            failures=failure.failures,
            retry_at=failure.retry_at,
            failed_at=now,
            reason=reason[:REASON_CHARS],
        )
        old = feed_entry_failures.c.failed_at < now - FORGET_FAILURES_SECONDS
        with self.database.transaction() as db:
            db.execute(record)
            db.execute(delete(feed_entry_failures).where(old))

    def forget(self, entry: str) -> None:
        key = feed_entry_failures.c.key == _entry_key(entry)
        with self.database.transaction() as db:
            db.execute(delete(feed_entry_failures).where(key))
