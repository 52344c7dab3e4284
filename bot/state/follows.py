"""Follows in the shared database: the topics each chat (or forum topic of a chat) follows,
and, per place pushes go, when it was last sent one, with the matches the rate limit held
back for its next push. Any replica takes /follow; the process that indexes pushes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.state.database import Database
from bot.state.tables import LANGUAGE_CHARS, follow_pushes, follows
from index.errors import NewsdeskError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LANGUAGE = re.compile(rf"[a-z]{{2,{LANGUAGE_CHARS}}}", re.ASCII)

MAX_TOPIC_CHARS = 200
MAX_FOLLOWS_PER_CHAT = 20
# Matches held for a rate-limited place; past this many, the rest are only counted.
MAX_HELD = 30


class FollowError(NewsdeskError):
    """A follow that can't be made or removed; the message is the reader's line."""


@dataclass(frozen=True)
class Follow:
    id: int
    chat_id: int
    thread_id: int | None
    topic: str
    language: str | None = None  # the client's that made it (clean_language); None: English


@dataclass(frozen=True)
class FollowMatch:
    """A new article matching a follow: what its push shows."""

    follow_id: int
    topic: str
    article_key: str
    title: str
    url: str
    source: str
    published: str
    sentence: str
    relevance: float

    @classmethod
    def from_json(cls, data: Any) -> FollowMatch | None:
        try:
            return cls(**data)
        except TypeError:
            return None


@dataclass(frozen=True)
class Due:
    """What one place is to be sent now: the matches (held ones first), and how many more
    the rate limit dropped since its last push."""

    matches: list[FollowMatch]
    dropped: int
    # The language to word it in: that of the newest follow it lists; None: English.
    language: str | None = None


def clean_topic(text: str) -> str:
    """The topic as kept: one line, spaces collapsed; FollowError if empty or too long."""
    # Control characters too: Postgres refuses a NUL in text.
    topic = " ".join(_CONTROL.sub(" ", text).split())
    if not topic:
        raise FollowError("A topic to follow can't be empty.")
    if len(topic) > MAX_TOPIC_CHARS:
        raise FollowError(
            f"That topic is {len(topic):,} characters long; a topic can be at most "
            f"{MAX_TOPIC_CHARS}. Name the story in a few words."
        )
    return topic


def clean_language(code: str | None) -> str | None:
    """A client's language as kept with a follow or digest: its ISO 639 code (lowercased),
    None (English) when there is none or it isn't one (too long, not letters). A language
    without a catalog is kept as it is, not as English: pushes are worded in English for it
    all the same (bot/translation.py), and once a catalog for it ships, the follows
    and digests made before are worded in it with no migration."""
    code = (code or "").strip().lower()
    return code if _LANGUAGE.fullmatch(code) else None


def _place(chat_id: int, thread_id: int | None) -> str:
    return f"{chat_id}:{thread_id or 0}"


class Follows:
    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.clock = clock

    def add(
        self, chat_id: int, thread_id: int | None, text: str, language: str | None = None
    ) -> Follow:
        """Follow `text` in the chat (and forum topic), its pushes worded in `language` (the
        client's: clean_language); FollowError if the topic is empty, too long, already
        followed there, or the chat follows MAX_FOLLOWS_PER_CHAT already."""
        topic, language = clean_topic(text), clean_language(language)
        with self.database.transaction() as db:
            self.database.lock(db, chat_id)  # two replicas adding at once count each other's
            count = db.scalar(select(func.count()).where(follows.c.chat_id == chat_id)) or 0
            if count >= MAX_FOLLOWS_PER_CHAT:
                raise FollowError(
                    f"This chat follows {MAX_FOLLOWS_PER_CHAT} topics already, the most I keep. "
                    "/unfollow one first (/following lists them)."
                )
            here = self._listed(db, chat_id, thread_id)
            if any(f.topic.casefold() == topic.casefold() for f in here):
                raise FollowError(f"You already follow “{topic}” here.")
            row = {"chat_id": chat_id, "thread_id": thread_id or 0, "topic": topic,
                   "created_at": self.clock(), "language": language}  # fmt: skip
            key = db.execute(follows.insert().values(**row)).inserted_primary_key
        assert key is not None
        return Follow(int(key[0]), chat_id, thread_id, topic, language)

    def listed(self, chat_id: int, thread_id: int | None) -> list[Follow]:
        """The follows made in this chat and forum topic, oldest first (as /following numbers
        them)."""
        with self.database.transaction() as db:
            return self._listed(db, chat_id, thread_id)

    def _listed(self, db: Any, chat_id: int, thread_id: int | None) -> list[Follow]:
        query = (
            select(follows.c.id, follows.c.topic, follows.c.language)
            .where(follows.c.chat_id == chat_id, follows.c.thread_id == (thread_id or 0))
            .order_by(follows.c.id)
        )
        return [Follow(int(i), chat_id, thread_id, topic, language)
                for i, topic, language in db.execute(query)]  # fmt: skip

    def remove(self, chat_id: int, thread_id: int | None, number: int) -> Follow:
        """Stop the `number`-th follow of the list /following shows (from 1); FollowError if
        there is no such number."""
        with self.database.transaction() as db:
            here = self._listed(db, chat_id, thread_id)
            if not 1 <= number <= len(here):
                raise FollowError(_no_such_number(number, len(here)))
            gone = here[number - 1]
            db.execute(delete(follows).where(follows.c.id == gone.id))
        return gone

    def everything(self) -> list[Follow]:
        """Every follow of every chat, for matching an indexing run's new articles."""
        query = select(follows.c.id, follows.c.chat_id, follows.c.thread_id, follows.c.topic,
                       follows.c.language)  # fmt: skip
        with self.database.transaction() as db:
            rows = db.execute(query.order_by(follows.c.id)).all()
        return [Follow(int(i), int(chat), int(thread) or None, topic, language)
                for i, chat, thread, topic, language in rows]  # fmt: skip

    def drop_chat(self, chat_id: int) -> int:
        """Forget every follow of the chat (it blocked the bot); how many there were."""
        with self.database.transaction() as db:
            db.execute(delete(follow_pushes).where(follow_pushes.c.chat_id == chat_id))
            return int(db.execute(delete(follows).where(follows.c.chat_id == chat_id)).rowcount)

    def take_due(
        self, chat_id: int, thread_id: int | None, found: list[FollowMatch], every_seconds: float
    ) -> Due | None:
        """The matches to push to this place now (those held before, then `found`), or None
        if it was pushed to less than `every_seconds` ago: then `found` is held for its next
        push (past MAX_HELD, counted as dropped). Matches of follows since removed are left
        out. Two indexers at once take turns on the place's row."""
        place, now = _place(chat_id, thread_id), self.clock()
        table = follow_pushes
        with self.database.transaction() as db:
            db.execute(self.database.insert_or_ignore(
                table, place=place, chat_id=chat_id, last_push_at=None, held_json="[]", dropped=0
            ))  # fmt: skip
            row = db.execute(
                select(table.c.last_push_at, table.c.held_json, table.c.dropped)
                .where(table.c.place == place)
                .with_for_update()
            ).one()
            last, held, dropped = row[0], _matches(row[1]), int(row[2])
            live = {f.id: f.language for f in self._listed(db, chat_id, thread_id)}
            seen = {(m.follow_id, m.article_key) for m in held}
            new = [m for m in found if (m.follow_id, m.article_key) not in seen]
            waiting = [m for m in held + new if m.follow_id in live]
            if last is not None and now - float(last) < every_seconds:
                kept = waiting[:MAX_HELD]
                dropped += len(waiting) - len(kept)
                values: dict[str, Any] = {"held_json": _dumps(kept), "dropped": dropped}
                db.execute(update(table).where(table.c.place == place).values(**values))
                return None
            if not waiting:  # nothing to send: the place's rate limit is left as it was
                return None
            values = {"held_json": "[]", "dropped": 0, "last_push_at": now}
            db.execute(update(table).where(table.c.place == place).values(**values))
        # In a group, follows made from clients in different languages: the newest one's.
        newest = max(m.follow_id for m in waiting)
        return Due(waiting, dropped, live[newest])

    def holding(self) -> list[tuple[int, int | None]]:
        """The places (chat, forum topic) with matches held for their next push."""
        table = follow_pushes
        query = select(table.c.place, table.c.chat_id).where(table.c.held_json != "[]")
        with self.database.transaction() as db:
            rows = db.execute(query).all()
        return [(int(chat), int(place.rpartition(":")[2]) or None) for place, chat in rows]


def _no_such_number(number: int, count: int) -> str:
    if count == 0:
        return "You follow nothing here. /follow TOPIC starts following one."
    return f"There is no follow number {number}: /following lists them, numbered 1 to {count}."


def _dumps(matches: list[FollowMatch]) -> str:
    return json.dumps([asdict(m) for m in matches])


def _matches(raw: str | None) -> list[FollowMatch]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [m for item in data if isinstance(item, dict) and (m := FollowMatch.from_json(item))]
