"""The operator's feeds, in the shared database: every process polls and prunes by the same
list, in the order the feeds were added."""

from __future__ import annotations

import time

from sqlalchemy import delete, select

from bot.state.database import Database
from bot.state.tables import feeds
from index.ingest.feeds import check_feed_url


class FeedRecords:
    def __init__(self, database: Database) -> None:
        self.database = database

    def urls(self) -> list[str]:
        with self.database.transaction() as db:
            return list(db.scalars(select(feeds.c.url).order_by(feeds.c.id)))

    def add(self, url: str) -> bool:
        """Add a feed; False if it was already listed. FeedListError for a bad URL."""
        url = check_feed_url(url)
        with self.database.transaction() as db:
            return self.database.insert_new(db, feeds, url=url, added_at=time.time())

    def remove(self, url: str) -> bool:
        """Remove a feed; False if it wasn't listed."""
        with self.database.transaction() as db:
            return bool(db.execute(delete(feeds).where(feeds.c.url == url.strip())).rowcount)
