"""Indexing jobs queued in the shared database: a bot replica enqueues /reindex (and, in
NEWSDESK_ROLE=bot, uploads and links to index), and the one indexer claims and runs them, so
only the indexer writes to the store. A claim is atomic: two indexers never run one job."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from bot.state.database import Database
from bot.state.tables import jobs

KINDS = ("reindex", "upload", "links")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    chat_id: int | None
    status: str
    result: dict[str, Any] | None = None


def _loads(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class JobQueue:
    def __init__(self, database: Database) -> None:
        self.database = database

    def enqueue(self, kind: str, payload: dict[str, Any], chat_id: int | None) -> int:
        return self._insert(kind, payload, chat_id, status=QUEUED)

    def start(self, kind: str, payload: dict[str, Any], chat_id: int | None, worker: str) -> int:
        """A job `worker` runs at once, on record as running: if the process stops before
        it is finished, `requeue_abandoned` puts it back in the queue."""
        return self._insert(kind, payload, chat_id, status=RUNNING, worker=worker[:200])

    def _insert(
        self, kind: str, payload: dict[str, Any], chat_id: int | None, **values: object
    ) -> int:
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}; the kinds are {', '.join(KINDS)}")
        now = time.time()
        row = {
            "kind": kind,
            "payload_json": json.dumps(payload),
            "chat_id": chat_id,
            "created_at": now,
            **values,
        }
        if values.get("status") == RUNNING:
            row["started_at"] = now
        with self.database.transaction() as db:
            key = db.execute(jobs.insert().values(**row)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def claim(self, worker: str) -> Job | None:
        """The oldest queued job, now marked running by `worker`; None if there is none."""
        oldest = (
            select(jobs.c.id, jobs.c.kind, jobs.c.payload_json, jobs.c.chat_id)
            .where(jobs.c.status == QUEUED)
            .order_by(jobs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self.database.transaction() as db:
            row = db.execute(oldest).first()
            if row is None:
                return None
            job_id, kind, payload, chat_id = row
            db.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(status=RUNNING, started_at=time.time(), worker=worker[:200])
            )
        return Job(int(job_id), kind, _loads(payload), chat_id, RUNNING)

    def finish(self, job_id: int, result: dict[str, Any], *, failed: bool = False) -> None:
        with self.database.transaction() as db:
            db.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    status=FAILED if failed else DONE,
                    finished_at=time.time(),
                    result_json=json.dumps(result),
                )
            )

    def requeue_abandoned(self, worker: str) -> list[Job]:
        """Jobs `worker` was running when it stopped (killed, or shut down mid-run) go back
        to the queue, and are returned: an indexing run is safe to repeat, and carries on
        where the last one stopped."""
        abandoned = (jobs.c.status == RUNNING, jobs.c.worker == worker)
        query = select(jobs.c.id, jobs.c.kind, jobs.c.payload_json, jobs.c.chat_id)
        with self.database.transaction() as db:
            rows = db.execute(query.where(*abandoned).order_by(jobs.c.id).with_for_update()).all()
            db.execute(
                update(jobs)
                .where(jobs.c.id.in_([row[0] for row in rows]))
                .values(status=QUEUED, started_at=None, worker=None)
            )
        return [Job(int(i), kind, _loads(payload), chat, QUEUED) for i, kind, payload, chat in rows]

    def depth(self) -> dict[str, int]:
        """How many jobs wait (queued) and run (running) now."""
        query = select(jobs.c.status, func.count()).where(jobs.c.status.in_([QUEUED, RUNNING]))
        with self.database.transaction() as db:
            counted: dict[str, int] = dict(db.execute(query.group_by(jobs.c.status)).tuples().all())
        return {QUEUED: int(counted.get(QUEUED, 0)), RUNNING: int(counted.get(RUNNING, 0))}

    def get(self, job_id: int) -> Job | None:
        query = select(
            jobs.c.id, jobs.c.kind, jobs.c.payload_json, jobs.c.chat_id, jobs.c.status,
            jobs.c.result_json,
        ).where(jobs.c.id == job_id)  # fmt: skip
        with self.database.transaction() as db:
            row = db.execute(query).first()
        if row is None:
            return None
        job_id, kind, payload, chat_id, status, result = row
        return Job(int(job_id), kind, _loads(payload), chat_id, status, _loads(result) or None)
