"""Per-chat sources in the shared database: the collections each chat answers from, as its
admins set them with /sources (none on record: every collection, the default). Any replica
reads and sets them; a question reads its chat's scope by primary key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from bot.state.database import Database
from bot.state.tables import chat_sources
from index.collections import Scope, scope_of

# No chat needs more: a scope of more collections than this is "all" in all but name.
MAX_SCOPED_COLLECTIONS = 20


class ChatSources:
    """`bot.answering.conversation.ChatScopes` in the shared database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def scope(self, chat_id: int) -> Scope:
        """The collections the chat answers from, sorted; None for every collection."""
        query = (
            select(chat_sources.c.collection)
            .where(chat_sources.c.chat_id == chat_id)
            .order_by(chat_sources.c.collection)
        )
        with self.database.transaction() as db:
            names = list(db.scalars(query))
        return tuple(names) if names else None

    def choose(self, chat_id: int, names: Sequence[str]) -> Scope:
        """Scope the chat to these collections (each checked: CollectionNameError), in place
        of what it had; none given resets it to every collection. Returns the scope kept."""
        scope = scope_of(names) if names else None
        if scope is not None and len(scope) > MAX_SCOPED_COLLECTIONS:
            from index.collections import CollectionNameError

            raise CollectionNameError(
                f"a chat can be scoped to at most {MAX_SCOPED_COLLECTIONS} collections"
            )
        with self.database.transaction() as db:
            db.execute(delete(chat_sources).where(chat_sources.c.chat_id == chat_id))
            for name in scope or ():
                db.execute(chat_sources.insert().values(chat_id=chat_id, collection=name))
        return scope

    def scoped_chats(self) -> dict[int, tuple[str, ...]]:
        """Every chat with a scope, and its collections."""
        found: dict[int, list[str]] = {}
        query = select(chat_sources.c.chat_id, chat_sources.c.collection).order_by(
            chat_sources.c.chat_id, chat_sources.c.collection
        )
        with self.database.transaction() as db:
            for chat_id, name in db.execute(query):
                found.setdefault(int(chat_id), []).append(str(name))
        return {chat_id: tuple(names) for chat_id, names in found.items()}
