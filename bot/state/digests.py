"""Daily digests of followed stories, in the shared database: per place (chat and forum topic)
its time zone (/timezone), the local time of its digest (/digest HH:MM) and when the next one
is due. Whichever process indexes claims the due ones, once (`claim_due`)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update

from bot.state.database import Database
from bot.state.follows import clean_language
from bot.state.tables import follow_digests
from index.errors import NewsdeskError

DEFAULT_ZONE = "UTC"
MAX_ZONE_CHARS = 64
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)", re.ASCII)


class DigestError(NewsdeskError):
    """A time or time zone that isn't one; the message is the reader's line."""


@dataclass(frozen=True)
class DigestSetting:
    timezone: str
    at_minute: int | None  # None: no digest

    @property
    def at(self) -> str:
        if self.at_minute is None:
            return ""
        hour, minute = divmod(self.at_minute, 60)
        return f"{hour:02d}:{minute:02d}"


@dataclass(frozen=True)
class DueDigest:
    """A digest to send now: to whom, and what it covers (articles published since `since`,
    except those the last one listed)."""

    chat_id: int
    thread_id: int | None
    since: date
    sent_keys: frozenset[str]
    language: str | None = None  # to word it in (clean_language); None: English


def parse_time(text: str) -> int:
    """HH:MM as minutes after midnight; DigestError if it isn't one."""
    matched = _TIME.fullmatch(text.strip())
    if matched is None:
        shown = text.strip()[:20]
        raise DigestError(f"“{shown}” is not a time of day: give it as HH:MM, for example 08:30.")
    return int(matched[1]) * 60 + int(matched[2])


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone `name` (Europe/Berlin, UTC); DigestError if there is none."""
    name = name.strip()
    try:
        if not name or len(name) > MAX_ZONE_CHARS:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        shown = name[:40] + ("…" if len(name) > 40 else "")
        raise DigestError(
            f"I don't know the time zone “{shown}”: give its IANA name, for example "
            "Europe/Berlin, America/New_York or UTC."
        ) from None


def next_due(at_minute: int, zone: str, now: float) -> float:
    """The next time after `now` that the clock in `zone` shows `at_minute`."""
    local = datetime.fromtimestamp(now, zone_of(zone))
    hour, minute = divmod(at_minute, 60)
    for days in (0, 1, 2):
        day = (local + timedelta(days=days)).date()
        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=local.tzinfo)
        if candidate.timestamp() > now:
            return candidate.timestamp()
    raise AssertionError("a time of day comes within two days")


def _place(chat_id: int, thread_id: int | None) -> str:
    return f"{chat_id}:{thread_id or 0}"


class Digests:
    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.clock = clock

    def setting(self, chat_id: int, thread_id: int | None) -> DigestSetting:
        table = follow_digests
        query = select(table.c.timezone, table.c.at_minute)
        with self.database.transaction() as db:
            row = db.execute(query.where(table.c.place == _place(chat_id, thread_id))).first()
        return DigestSetting(row[0], row[1]) if row else DigestSetting(DEFAULT_ZONE, None)

    def set_timezone(
        self, chat_id: int, thread_id: int | None, name: str, language: str | None = None
    ) -> DigestSetting:
        """Keep the place's time zone (its digest, if any, now comes at that zone's time);
        the digest is worded in `language`, the client's (clean_language), from now on."""
        zone = zone_of(name).key
        return self._change(chat_id, thread_id, language, timezone=zone)

    def set_time(
        self,
        chat_id: int,
        thread_id: int | None,
        at_minute: int | None,
        language: str | None = None,
    ) -> DigestSetting:
        """A digest every day at `at_minute` in the place's zone, worded in `language` (the
        client's: clean_language); None: no more digests."""
        return self._change(chat_id, thread_id, language, at_minute=at_minute)

    def _change(
        self, chat_id: int, thread_id: int | None, language: str | None, **changed: Any
    ) -> DigestSetting:
        """Change the place's setting; its language becomes that of the client changing it
        (the last one to set the digest up is the one who reads it)."""
        place, table = _place(chat_id, thread_id), follow_digests
        changed["language"] = clean_language(language)
        with self.database.transaction() as db:
            db.execute(self.database.insert_or_ignore(
                table, place=place, chat_id=chat_id, timezone=DEFAULT_ZONE, sent_keys_json="[]"
            ))  # fmt: skip
            row = db.execute(
                select(table.c.timezone, table.c.at_minute)
                .where(table.c.place == place)
                .with_for_update()
            ).one()
            values = {"timezone": row[0], "at_minute": row[1], **changed}
            at, zone = values["at_minute"], values["timezone"]
            values["next_at"] = None if at is None else next_due(at, zone, self.clock())
            db.execute(update(table).where(table.c.place == place).values(**values))
        return DigestSetting(zone, at)

    def claim_due(self) -> list[DueDigest]:
        """The digests due now, each marked sent and given its next time in the same
        transaction, so two processes never send one twice."""
        now, table = self.clock(), follow_digests
        query = (
            select(table.c.place, table.c.chat_id, table.c.timezone, table.c.at_minute,
                   table.c.last_at, table.c.sent_keys_json, table.c.language)
            .where(table.c.next_at <= now, table.c.at_minute.is_not(None))
            .with_for_update(skip_locked=True)
        )  # fmt: skip
        due = []
        with self.database.transaction() as db:
            for place, chat_id, zone, at, last, sent, language in db.execute(query).all():
                local = ZoneInfo(zone)
                since = datetime.fromtimestamp(last or now - 86400, local).date()
                thread = int(place.rpartition(":")[2]) or None
                due.append(DueDigest(int(chat_id), thread, since, _keys(sent), language))
                values = {"next_at": next_due(int(at), zone, now), "last_at": now}
                db.execute(update(table).where(table.c.place == place).values(**values))
        return due

    def sent(self, chat_id: int, thread_id: int | None, keys: list[str]) -> None:
        """The articles a digest listed: the next one leaves them out."""
        table, place = follow_digests, _place(chat_id, thread_id)
        with self.database.transaction() as db:
            db.execute(
                update(table).where(table.c.place == place).values(sent_keys_json=json.dumps(keys))
            )

    def drop_chat(self, chat_id: int) -> None:
        with self.database.transaction() as db:
            db.execute(delete(follow_digests).where(follow_digests.c.chat_id == chat_id))


def _keys(raw: str | None) -> frozenset[str]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return frozenset()
    return frozenset(str(k) for k in data) if isinstance(data, list) else frozenset()
