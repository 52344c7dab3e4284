"""Sliding windows of timestamps per key, in the shared database, so a rate limit counts
the questions a user asked on every replica: `take(key, limit, seconds)` counts one event
if fewer than `limit` happened in the last `seconds`, else says how long to wait."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from sqlalchemy import select, update

from bot.state.database import Database
from bot.state.tables import rate_windows


class StoredWindows:
    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.clock = clock

    def take(self, key: str, limit: int, seconds: float) -> int:
        """0 and the event is counted, or the whole seconds until one more is allowed."""
        now = self.clock()
        with self.database.transaction() as db:
            # The row exists before it is locked, so two replicas take turns on it.
            db.execute(self.database.insert_or_ignore(rate_windows, key=key, stamps_json="[]"))
            raw = db.scalar(
                select(rate_windows.c.stamps_json)
                .where(rate_windows.c.key == key)
                .with_for_update()
            )
            stamps = [t for t in _stamps(raw) if now - t < seconds]
            if len(stamps) >= limit:
                return max(1, math.ceil(seconds - (now - min(stamps))))
            stamps.append(now)
            db.execute(
                update(rate_windows)
                .where(rate_windows.c.key == key)
                .values(stamps_json=json.dumps(stamps))
            )
        return 0


def _stamps(raw: str | None) -> list[float]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    return [float(t) for t in data if isinstance(t, int | float)] if isinstance(data, list) else []
