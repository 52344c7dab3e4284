"""Every answer the bot sent, and the readers' 👍/👎 on it, in the shared database.

It lets source buttons work on any replica and after a restart, keeps feedback with the
question, the answer, its citations and the prompt version that made it, and feeds /stats.
Each answer gets a random 63-bit id, so answers recorded by different replicas never collide
(a counter per machine would hand out the same ids twice)."""

from __future__ import annotations

import json
import secrets
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.answering.answers import Answer
from bot.state.database import Database
from bot.state.tables import answers, feedback


@dataclass(frozen=True)
class Stats:
    questions: int
    refusals: int
    thumbs_up: int
    thumbs_down: int
    median_latency_ms: float | None


@dataclass(frozen=True)
class RecordedAnswer:
    """An answer with where it was given: the chat, and the person who asked."""

    answer: Answer
    chat_id: int | None
    user_id: int | None

    def reachable_from(self, chat_id: int | None, user_id: int) -> bool:
        """A button under it works in the chat it was given in, or for the person who asked
        (anyone else holding its id gets nothing of it)."""
        in_chat = chat_id is not None and chat_id == self.chat_id
        return in_chat or user_id == self.user_id


MAX_ANSWER_ID = 2**63 - 1


def new_answer_id() -> int:
    """Positive and below 2**63: fits a signed BIGINT, 16 hex digits in button data."""
    return secrets.randbits(63) or 1


def answer_from_json(raw: str) -> Answer:
    return Answer.from_json(json.loads(raw))


class AnswerLog:
    """Each call is one short transaction, committed before it returns: an answer is on
    record before it is sent, so a process killed right after sending loses nothing."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self,
        answer: Answer,
        *,
        chat_id: int | None,
        user_id: int | None,
        latency_ms: float,
        prompt_version: str,
        asked_at: float | None = None,
    ) -> int:
        answer_id = new_answer_id()
        with self.database.transaction() as db:
            db.execute(
                answers.insert().values(
                    id=answer_id,
                    chat_id=chat_id,
                    user_id=user_id,
                    asked_at=time.time() if asked_at is None else asked_at,
                    question=answer.question,
                    answer_json=json.dumps(answer.to_json()),
                    refused=answer.refused,
                    latency_ms=latency_ms,
                    prompt_version=prompt_version,
                )
            )
        return answer_id

    def get(self, answer_id: int) -> Answer | None:
        recorded = self.recorded(answer_id)
        return None if recorded is None else recorded.answer

    def recorded(self, answer_id: int) -> RecordedAnswer | None:
        """The answer with its chat and asker; None if there is none under that id (or the
        id can't be one: a signed 64-bit column holds none outside 1..MAX_ANSWER_ID)."""
        if not 0 < answer_id <= MAX_ANSWER_ID:
            return None
        query = select(answers.c.answer_json, answers.c.chat_id, answers.c.user_id)
        with self.database.transaction() as db:
            row = db.execute(query.where(answers.c.id == answer_id)).first()
        if row is None:
            return None
        raw, chat_id, user_id = row
        return RecordedAnswer(answer_from_json(raw), chat_id, user_id)

    def vote(self, answer_id: int, user_id: int, vote: int, at: float | None = None) -> bool:
        """Record (or change) a reader's vote; False if the answer isn't known."""
        if not 0 < answer_id <= MAX_ANSWER_ID:
            return False
        with self.database.transaction() as db:
            if db.scalar(select(answers.c.id).where(answers.c.id == answer_id)) is None:
                return False
            db.execute(
                self.database.upsert(
                    feedback,
                    ["answer_id", "user_id"],
                    answer_id=answer_id,
                    user_id=user_id,
                    vote=vote,
                    at=time.time() if at is None else at,
                )
            )
        return True

    def feedback(self, answer_id: int) -> list[tuple[int, int]]:
        """(user id, vote) pairs on an answer."""
        query = (
            select(feedback.c.user_id, feedback.c.vote)
            .where(feedback.c.answer_id == answer_id)
            .order_by(feedback.c.at)
        )
        with self.database.transaction() as db:
            rows = db.execute(query).all()
        return [(int(user), int(vote)) for user, vote in rows]

    def count(self) -> int:
        with self.database.transaction() as db:
            return int(db.scalar(select(func.count()).select_from(answers)) or 0)

    def stats(self, since_seconds: float, now: float | None = None) -> Stats:
        start = (now or time.time()) - since_seconds
        with self.database.transaction() as db:
            rows = db.execute(
                select(answers.c.refused, answers.c.latency_ms).where(answers.c.asked_at >= start)
            ).all()
            votes = db.execute(
                select(feedback.c.vote, func.count())
                .where(feedback.c.at >= start)
                .group_by(feedback.c.vote)
            ).all()
        counted = {int(vote): int(count) for vote, count in votes}
        latencies = [float(latency) for _, latency in rows]
        return Stats(
            questions=len(rows),
            refusals=sum(int(bool(refused)) for refused, _ in rows),
            thumbs_up=counted.get(1, 0),
            thumbs_down=counted.get(-1, 0),
            median_latency_ms=statistics.median(latencies) if latencies else None,
        )
