"""Prompt versions in the shared database: the `PromptStore` that `PromptLibrary` reads the
live template from, so `/prompt set` on one replica is live on every other at its next
question."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from bot.answering.prompts import PromptVersion, default_is_news, now_iso
from bot.state.database import Database
from bot.state.tables import prompt_versions

COLUMNS = (
    prompt_versions.c.number,
    prompt_versions.c.author,
    prompt_versions.c.at,
    prompt_versions.c.text,
    prompt_versions.c.note,
    prompt_versions.c.from_default,
)


def _version(row: Sequence[Any]) -> PromptVersion:
    number, author, at, text, note, from_default = row
    return PromptVersion(int(number), author, at, text, note, bool(from_default))


def _newest(db: Connection, name: str) -> PromptVersion | None:
    query = (
        select(*COLUMNS)
        .where(prompt_versions.c.name == name)
        .order_by(prompt_versions.c.number.desc())
        .limit(1)
    )
    row = db.execute(query).first()
    return _version(row) if row is not None else None


class DatabasePromptStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def history(self, name: str) -> list[PromptVersion]:
        query = (
            select(*COLUMNS)
            .where(prompt_versions.c.name == name)
            .order_by(prompt_versions.c.number)
        )
        with self.database.transaction() as db:
            return [_version(row) for row in db.execute(query).all()]

    def latest(self, name: str) -> PromptVersion | None:
        with self.database.transaction() as db:
            return _newest(db, name)

    def add(
        self,
        name: str,
        text: str,
        author: str,
        note: str,
        *,
        from_default: bool,
        at: str | None = None,
    ) -> PromptVersion:
        """The next version of `name`; two processes adding at once take turns (a lock
        per template name on Postgres, the write lock on SQLite). A default's text is
        recorded only if it is still news under the lock (see `PromptStore.add`)."""
        with self.database.transaction() as db:
            self.database.lock(db, zlib.crc32(f"prompt:{name}".encode()))
            newest = _newest(db, name)
            if from_default and newest is not None and not default_is_news(newest, text):
                return newest
            version = PromptVersion(
                number=newest.number + 1 if newest is not None else 1,
                author=author[:200],
                at=at or now_iso(),
                text=text,
                note=note,
                from_default=from_default,
            )
            db.execute(
                prompt_versions.insert().values(
                    name=name,
                    number=version.number,
                    author=version.author,
                    at=version.at,
                    text=version.text,
                    note=version.note,
                    from_default=version.from_default,
                )
            )
        return version
