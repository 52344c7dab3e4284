"""One feed poll's bounds: a deadline for the whole poll, and entries whose page failed tried
again with backoff, not every poll.

Each fetch has its own time limit (NEWSDESK_FETCH_TIMEOUT_SECONDS), but a poll fetches up to
MAX_FEED_ENTRIES pages per feed: 50 entry pages that hang took 113 s at a 2 s limit, about
1,000 s at the default 20 s, holding the index lock all along, and the next poll fetched them
all again, since what failed is not indexed. So the poll has one deadline (each fetch's limit
is cut to the time left, and the entries not reached wait for the next poll), and an entry
that failed is on record (`EntryRetries`, kept in the shared database by the bot) with when
it may be tried again: after RETRY_FIRST_SECONDS, doubling up to RETRY_LONGEST_SECONDS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the settings read this module's defaults without loading the fetcher
    from index.ingest.fetch import FetchPolicy

# A poll's default deadline: a poll that fetches a hundred new pages from slow sites still
# ends within it, and it holds the index lock, which /reindex and uploads wait for, no longer.
POLL_DEADLINE_SECONDS = 300.0
RETRY_FIRST_SECONDS = 15 * 60.0
RETRY_LONGEST_SECONDS = 24 * 3600.0
# Shortest time limit a fetch gets from the time left: under it, it is not begun.
SHORTEST_FETCH_SECONDS = 0.5


@dataclass(frozen=True)
class EntryFailure:
    """A feed entry whose page failed: how many times in a row, and when to try it again
    (a time.time())."""

    failures: int
    retry_at: float


def failed_again(before: EntryFailure | None, now: float) -> EntryFailure:
    """The record after one more failure: the wait doubles each time, up to a day."""
    failures = (before.failures if before else 0) + 1
    wait = min(RETRY_FIRST_SECONDS * 2 ** min(failures - 1, 20), RETRY_LONGEST_SECONDS)
    return EntryFailure(failures, now + wait)


class EntryRetries(Protocol):
    """Where failed feed entries are kept, by the entry's identity (its guid, else link)."""

    def get(self, entry: str) -> EntryFailure | None: ...

    def failed(self, entry: str, failure: EntryFailure, reason: str) -> None: ...

    def forget(self, entry: str) -> None: ...


@dataclass(frozen=True)
class PollDeadline:
    """The end of one poll, for all its feeds."""

    seconds: float
    ends: float  # time.monotonic()

    @classmethod
    def start(cls, seconds: float) -> PollDeadline:
        return cls(seconds, time.monotonic() + seconds)

    def passed(self) -> bool:
        return self.ends - time.monotonic() < SHORTEST_FETCH_SECONDS

    def cut(self, policy: FetchPolicy) -> FetchPolicy:
        """The fetch policy with its time limit cut to the time left."""
        left = max(round(self.ends - time.monotonic(), 1), SHORTEST_FETCH_SECONDS)
        return replace(policy, timeout_seconds=min(policy.timeout_seconds, left))

    def reason(self, what: str) -> str:
        return (
            f"the feed poll's deadline of {self.seconds:g} s passed "
            f"(NEWSDESK_FEED_POLL_DEADLINE_SECONDS): {what} wait for the next poll"
        )
