"""No lost questions: every update fetched from Telegram, kept in SQLite under NEWSDESK_HOME
from the moment it arrives until it has been handled.

python-telegram-bot acknowledges a batch of updates with the offset of its next getUpdates,
sent as soon as the batch is queued, long before the questions in it are answered; a bot
killed in between (kill -9, a crash, the machine going down) would never see them again. So
`PollingRequest` hands each batch to `record` before python-telegram-bot even sees it,
`JournaledApplication` marks each update finished once its handlers are done, and at start-up
`replay_unfinished` queues again whatever a previous run fetched but never finished.

An update is handled at most once per run, and never again once finished, even if Telegram
delivers it again (it does, if the bot was killed before acknowledging it). An answer cut off
half-way through its messages is sent again in full after a restart: at least once, as
Telegram offers no way to ask whether a message was sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY, raw TEXT NOT NULL, fetched_at REAL NOT NULL, done_at REAL
);
"""
# Finished updates are kept this long, to recognise one Telegram delivers again.
KEEP_FINISHED_SECONDS = 24 * 3600
# After an error a later try may not meet, an update is handled again after each of these
# waits in turn (SQLite has already waited its busy timeout before saying it is locked).
RETRY_WAITS_SECONDS = (2.0, 10.0, 30.0)
# SQLite's INTEGER is a signed 64-bit number; Telegram's update ids are far below it.
MAX_UPDATE_ID = 2**63 - 1


def id_fits(update_id: object) -> bool:
    return isinstance(update_id, int) and 0 <= update_id <= MAX_UPDATE_ID


def malformed(update: Update) -> str | None:
    """Why python-telegram-bot's lenient parsing let through an update no handler can use
    (a message without a chat), or None. Telegram sends none such; a forger might."""
    if not id_fits(update.update_id):
        return f"update_id {update.update_id} out of range"
    message = update.effective_message
    if message is not None and message.chat is None:
        return "a message without a chat"
    return None


class UpdateJournal:
    """Used from the bot's event loop only: one connection, each statement committed (and so
    on disk) before it returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.executescript(SCHEMA)
        self._started: set[int] = set()

    def record(self, updates: list[dict[str, Any]]) -> None:
        """Keep updates just fetched; one already kept keeps its first record."""
        now = time.time()
        rows = [
            (update["update_id"], json.dumps(update), now)
            for update in updates
            if id_fits(update.get("update_id"))
        ]
        self._db.executemany(
            "INSERT OR IGNORE INTO updates (update_id, raw, fetched_at) VALUES (?, ?, ?)", rows
        )

    def start(self, update_id: int) -> bool:
        """Whether to handle this update now: not if this run already started it, nor if an
        earlier run finished it."""
        if update_id in self._started:
            return False
        self._started.add(update_id)
        row = self._db.execute(
            "SELECT done_at FROM updates WHERE update_id = ?", (update_id,)
        ).fetchone()
        return row is None or row[0] is None

    def forget_started(self, update_id: int) -> None:
        """Let this run start the update again (it is to be tried once more)."""
        self._started.discard(update_id)

    def finish(self, update_id: int) -> None:
        self._db.execute(
            "UPDATE updates SET done_at = ? WHERE update_id = ?", (time.time(), update_id)
        )

    def unfinished(self) -> list[dict[str, Any]]:
        """Updates fetched but never finished, oldest first; forgets long-finished ones."""
        cutoff = time.time() - KEEP_FINISHED_SECONDS
        self._db.execute("DELETE FROM updates WHERE done_at < ?", (cutoff,))
        rows = self._db.execute(
            "SELECT raw FROM updates WHERE done_at IS NULL ORDER BY update_id"
        ).fetchall()
        return [json.loads(raw) for (raw,) in rows]


class JournaledApplication(Application):  # type: ignore[type-arg]
    """An Application that handles each update at most once and marks it finished in the
    journal when its handlers are done, whether they answered, refused or failed; a
    malformed one (`malformed`) is logged and dropped before any handler sees it."""

    def __init__(self, *, journal: UpdateJournal, **options: Any) -> None:
        super().__init__(**options)
        self.journal = journal
        self._retries: dict[int, int] = {}  # update id -> tries again asked for so far
        self._waiting: set[int] = set()  # update ids left unfinished, to be tried again

    def retry_later(self, update: Update) -> int:
        """Leave the update being handled unfinished and handle it again after a wait (for an
        error a later try may not meet, such as a locked database); which retry this is, or
        0 once they are spent. If the process stops meanwhile, the journal replays it at the
        next start."""
        done = self._retries.get(update.update_id, 0)
        if done >= len(RETRY_WAITS_SECONDS):
            return 0
        self._retries[update.update_id] = done + 1
        self._waiting.add(update.update_id)
        asyncio.get_running_loop().call_later(RETRY_WAITS_SECONDS[done], self._again, update)
        return done + 1

    def _again(self, update: Update) -> None:
        self._waiting.discard(update.update_id)
        self.journal.forget_started(update.update_id)
        self.update_queue.put_nowait(update)

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        if problem := malformed(update):
            log.warning("update dropped: %s", problem)
            if id_fits(update.update_id):
                self.journal.finish(update.update_id)
            return
        if not self.journal.start(update.update_id):
            log.info("update %d was already handled; skipping it", update.update_id)
            return
        try:
            await super().process_update(update)
        finally:  # a handler's error is handled (on_error) too: finished, unless to be retried
            if update.update_id not in self._waiting:
                self.journal.finish(update.update_id)
                self._retries.pop(update.update_id, None)


async def replay_unfinished(application: JournaledApplication) -> None:
    """Queue again the updates an earlier run fetched but did not finish (at start-up, before
    polling brings new ones)."""
    for raw in application.journal.unfinished():
        update = Update.de_json(raw, application.bot)
        log.info("answering update %d, left unfinished by an earlier run", update.update_id)
        await application.update_queue.put(update)
