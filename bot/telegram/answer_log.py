"""Every answer the bot sent, and the readers' 👍/👎 on it, in SQLite under NEWSDESK_HOME.

It lets source buttons keep working after a restart, keeps feedback with the question, the
answer, its citations and the prompt version that made it, and feeds /stats.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.answering.answers import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER, user_id INTEGER, asked_at REAL NOT NULL,
    question TEXT NOT NULL, answer_json TEXT NOT NULL, refused INTEGER NOT NULL,
    latency_ms REAL NOT NULL, prompt_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES answers(id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX IF NOT EXISTS answers_asked_at ON answers(asked_at);
"""


@dataclass(frozen=True)
class Stats:
    questions: int
    refusals: int
    thumbs_up: int
    thumbs_down: int
    median_latency_ms: float | None


class AnswerLog:
    """One short-lived connection per call, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # commits, or rolls back on error
                yield db
        finally:
            db.close()

    def record(
        self,
        answer: Answer,
        *,
        chat_id: int | None,
        user_id: int | None,
        latency_ms: float,
        prompt_version: str,
    ) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO answers (chat_id, user_id, asked_at, question, answer_json, "
                "refused, latency_ms, prompt_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (chat_id, user_id, time.time(), answer.question, json.dumps(answer.to_json()),
                 int(answer.refused), latency_ms, prompt_version),
            )  # fmt: skip
            return int(cursor.lastrowid or 0)

    def get(self, answer_id: int) -> Answer | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT answer_json FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            return None
        return Answer.from_json(json.loads(row[0]))

    def vote(self, answer_id: int, user_id: int, vote: int) -> bool:
        """Record (or change) a reader's vote; False if the answer isn't known."""
        with self._connect() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO feedback (answer_id, user_id, vote, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, "
                "at = excluded.at",
                (answer_id, user_id, vote, time.time()),
            )
        return True

    def feedback(self, answer_id: int) -> list[tuple[int, int]]:
        """(user id, vote) pairs on an answer."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT user_id, vote FROM feedback WHERE answer_id = ? ORDER BY at", (answer_id,)
            ).fetchall()
        return [(int(user), int(vote)) for user, vote in rows]

    def stats(self, since_seconds: float, now: float | None = None) -> Stats:
        start = (now or time.time()) - since_seconds
        with self._connect() as db:
            rows = db.execute(
                "SELECT refused, latency_ms FROM answers WHERE asked_at >= ?", (start,)
            ).fetchall()
            votes = db.execute(
                "SELECT vote, COUNT(*) FROM feedback WHERE at >= ? GROUP BY vote", (start,)
            ).fetchall()
        counted = {int(vote): int(count) for vote, count in votes}
        latencies = [float(latency) for _, latency in rows]
        return Stats(
            questions=len(rows),
            refusals=sum(int(refused) for refused, _ in rows),
            thumbs_up=counted.get(1, 0),
            thumbs_down=counted.get(-1, 0),
            median_latency_ms=statistics.median(latencies) if latencies else None,
        )
