"""Each chat's last questions and answers (for follow-ups), in the shared database, so they
survive a restart and any replica answers a follow-up as the first one would have."""

from __future__ import annotations

import json
import time

from sqlalchemy import delete, select

from bot.answering.followups import MEMORY, ChatMemory
from bot.state.database import Database
from bot.state.tables import chat_memory


class ChatMemoryStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def load(self, chat_id: int) -> StoredChatMemory:
        with self.database.transaction() as db:
            raw = db.scalar(
                select(chat_memory.c.turns_json).where(chat_memory.c.chat_id == chat_id)
            )
        memory = StoredChatMemory(self, chat_id)
        for turn in _turns(raw):
            memory.turns.append(turn)
        return memory

    def save(self, chat_id: int, turns: list[tuple[str, str]]) -> None:
        if not turns:
            with self.database.transaction() as db:
                db.execute(delete(chat_memory).where(chat_memory.c.chat_id == chat_id))
            return
        row = {"turns_json": json.dumps(turns[-MEMORY:]), "updated_at": time.time()}
        with self.database.transaction() as db:
            db.execute(self.database.upsert(chat_memory, ["chat_id"], chat_id=chat_id, **row))


def _turns(raw: str | None) -> list[tuple[str, str]]:
    """The stored turns; a row that isn't a list of [question, answer] pairs counts as none."""
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    pairs = [item for item in data if isinstance(item, list) and len(item) == 2]
    return [(str(q), str(a)) for q, a in pairs][-MEMORY:]


class StoredChatMemory(ChatMemory):
    """A ChatMemory that writes every change through to the database (one short
    transaction), before the answer that follows it is sent."""

    def __init__(self, store: ChatMemoryStore, chat_id: int) -> None:
        super().__init__()
        self.store = store
        self.chat_id = chat_id

    def remember(self, question: str, answer: str) -> None:
        super().remember(question, answer)
        self.store.save(self.chat_id, list(self.turns))

    def clear(self) -> None:
        super().clear()
        self.store.save(self.chat_id, [])
