"""Each conversation's last exchanges (for follow-ups), in the shared database, so they
survive a restart and any replica answers a follow-up as the first one would have: the
`ConversationMemory` the bot's `Conversation` keeps."""

from __future__ import annotations

import json
import time

from sqlalchemy import delete, select

from bot.answering.conversation import ConversationKey, Exchange, recent
from bot.state.database import Database
from bot.state.tables import conversation_memory

TABLE = conversation_memory


class StoredConversations:
    """Every change is one short transaction, written before the answer it follows is sent."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def recall(self, key: ConversationKey) -> list[Exchange]:
        with self.database.transaction() as db:
            raw = db.scalar(select(TABLE.c.turns_json).where(TABLE.c.conversation == str(key)))
        return _exchanges(raw)

    def remember(self, key: ConversationKey, exchange: Exchange) -> None:
        """Add the exchange to what is kept, in one transaction: two replicas answering in
        one conversation at once take turns (the row lock, or SQLite's write lock)."""
        with self.database.transaction() as db:
            query = select(TABLE.c.turns_json).where(TABLE.c.conversation == str(key))
            if not self.database.is_sqlite:
                query = query.with_for_update()
            kept = recent([*_exchanges(db.scalar(query)), exchange])
            row = {"turns_json": json.dumps(kept), "updated_at": time.time()}
            upsert = self.database.upsert(TABLE, ["conversation"], conversation=str(key), **row)
            db.execute(upsert)

    def forget(self, key: ConversationKey) -> None:
        with self.database.transaction() as db:
            db.execute(delete(TABLE).where(TABLE.c.conversation == str(key)))


def _exchanges(raw: str | None) -> list[Exchange]:
    """The stored exchanges; a row that isn't a list of [question, answer] pairs counts as
    none."""
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    pairs = [item for item in data if isinstance(item, list) and len(item) == 2]
    return recent([(str(q), str(a)) for q, a in pairs])
