"""What the store answers of stories (index/stories.py): the articles of a range of days,
with their stories and signatures; the outlets of given stories; and whether the store's
articles have their stories yet. A part of `ArticleStore`, kept apart for its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from index.records import NO_DAY
from index.stories import Member

# Collection metadata: every article's story is in its chunks' metadata.
STORIES_KEY = "newsdesk_stories"
STORIES_VERSION = 1
# Past this many days, a range is read as a range (a list that long costs more than it saves).
MAX_LISTED_DAYS = 400


class StoryQueries:
    """Mixed into `ArticleStore`, whose collection it reads."""

    _collection: Any

    def _fresh_metadata(self) -> dict[str, Any]:
        raise NotImplementedError

    def stories_recorded(self) -> bool:
        """Whether every article's story is in its chunks' metadata: recorded once a backfill
        gave them to a store from before stories, or at a new store's first run."""
        return bool(self._fresh_metadata().get(STORIES_KEY))

    def record_stories(self) -> None:
        metadata = {**self._fresh_metadata(), STORIES_KEY: STORIES_VERSION}
        metadata.pop("hnsw:space", None)  # set at creation; Chroma refuses to change it
        self._collection.modify(metadata=metadata)

    def story_members(self, first_day: int, last_day: int) -> list[Member]:
        """The articles published from day `first_day` to `last_day` (day numbers), as
        stories compare them: read from their first chunks."""
        # Chroma reads a list of days by its metadata index, and a range of them by scanning:
        # at 1M chunks 0.4 s against 1.9 s a read, one read an article of a feed poll
        # (BENCHMARKS.md, "Start-up without torch", at 1M chunks).
        days: list[dict[str, Any]] = (
            [{"day": {"$in": list(range(first_day, last_day + 1))}}]
            if last_day - first_day <= MAX_LISTED_DAYS
            else [{"day": {"$gte": first_day}}, {"day": {"$lte": last_day}}]
        )
        where = {"$and": [{"position": 0}, *days]}
        result = self._collection.get(where=where, include=["metadatas"])
        return [
            Member(
                key=str(meta.get("article", "")),
                day=int(meta["day"]),
                story=str(meta.get("story", "")),
                signature=str(meta.get("signature", "")),
                source=str(meta.get("source", "")),
            )
            for meta in result["metadatas"] or []
            if isinstance(meta.get("day"), int)
        ]

    def story_outlets(self, stories: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        """The (article key, outlet, day) of every article of these stories, by story, oldest
        first; the outlet is the source, else the title; the day NO_DAY if undated."""
        wanted = sorted({story for story in stories if story})
        if not wanted:
            return {}
        result = self._collection.get(
            where={"$and": [{"position": 0}, {"story": {"$in": wanted}}]},
            include=["metadatas"],
        )
        rows = sorted(
            (int(meta.get("day", NO_DAY)), str(meta.get("article", "")), meta)
            for meta in result["metadatas"] or []
        )
        found: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for day, key, meta in rows:
            outlet = str(meta.get("source") or meta.get("title") or "")
            found[str(meta.get("story", ""))].append((key, outlet, day))
        return dict(found)
