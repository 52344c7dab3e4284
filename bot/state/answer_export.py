"""The answer log read out for `newsdesk export answers`: every answer from a time on, oldest
first, with its citations and the readers' votes, a batch at a time (an answer log of a
million rows is never held whole)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from bot.state.database import Database
from bot.state.tables import answers, feedback

BATCH = 500
# What a citation is exported with (its score and passage ids are retrieval's internals).
CITATION_FIELDS = ("n", "title", "source", "url", "published", "quote", "chunk_id")


@dataclass(frozen=True)
class ExportedAnswer:
    id: int
    asked_at: str  # ISO 8601, UTC
    chat_id: int | None
    user_id: int | None
    question: str
    understood_as: str
    short_answer: str
    answer: str
    refused: bool
    latency_ms: float
    prompt_version: str
    citations: list[dict[str, Any]]
    thumbs_up: int
    thumbs_down: int
    votes: list[dict[str, Any]] = field(default_factory=list)  # user_id, vote (±1), at


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def exported_answers(database: Database, since: float | None = None) -> Iterator[ExportedAnswer]:
    """Every recorded answer asked at `since` (seconds since the epoch) or later, oldest first."""
    after: tuple[float, int] | None = None
    while True:
        query = select(answers).order_by(answers.c.asked_at, answers.c.id).limit(BATCH)
        if since is not None:
            query = query.where(answers.c.asked_at >= since)
        if after is not None:  # keyset paging: the next batch starts after the last row
            at, answer_id = after
            query = query.where(
                or_(
                    answers.c.asked_at > at,
                    and_(answers.c.asked_at == at, answers.c.id > answer_id),
                )
            )
        with database.transaction() as db:
            rows = db.execute(query).mappings().all()
            ids = [row["id"] for row in rows]
            votes = (
                db.execute(
                    select(feedback).where(feedback.c.answer_id.in_(ids)).order_by(feedback.c.at)
                )
                .mappings()
                .all()
                if ids
                else []
            )
        if not rows:
            return
        by_answer: dict[int, list[dict[str, Any]]] = {}
        for vote in votes:
            by_answer.setdefault(int(vote["answer_id"]), []).append(
                {"user_id": int(vote["user_id"]), "vote": int(vote["vote"]), "at": _iso(vote["at"])}
            )
        for row in rows:
            yield _exported(row, by_answer.get(int(row["id"]), []))
        after = (float(rows[-1]["asked_at"]), int(rows[-1]["id"]))


def _exported(row: Any, votes: list[dict[str, Any]]) -> ExportedAnswer:
    recorded = json.loads(row["answer_json"])
    citations = [
        {name: citation.get(name) for name in CITATION_FIELDS}
        for citation in recorded.get("citations", [])
    ]
    return ExportedAnswer(
        id=int(row["id"]),
        asked_at=_iso(float(row["asked_at"])),
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        question=str(row["question"]),
        understood_as=str(recorded.get("understood_as", "")),
        short_answer=str(recorded.get("short_answer", "")),
        answer=str(recorded.get("answer", "")),
        refused=bool(row["refused"]),
        latency_ms=float(row["latency_ms"]),
        prompt_version=str(row["prompt_version"]),
        citations=citations,
        thumbs_up=sum(1 for vote in votes if vote["vote"] > 0),
        thumbs_down=sum(1 for vote in votes if vote["vote"] < 0),
        votes=votes,
    )
