"""How often the bot answers someone: the per-user rate limit and the once-a-day refusal,
counted in sliding windows that every replica shares (`bot.state.limits.StoredWindows`).
Held in the bot data (context.py); what the user is told is in access.py."""

from __future__ import annotations

from typing import Protocol

WINDOW_SECONDS = 60.0
# Someone not on the allowlist is told once a day; telling them at every message would let
# them make the bot send as many messages as they like.
REFUSAL_EVERY_SECONDS = 86400.0


class Windows(Protocol):
    """Sliding windows of events per key (`bot.state.limits.StoredWindows`: shared by every
    replica): `take` counts one event if fewer than `limit` fell in the last `seconds`
    and returns 0, else returns the seconds to wait."""

    def take(self, key: str, limit: int, seconds: float) -> int: ...


class RateLimiter:
    """At most `per_minute` questions and button presses together per user in any sliding
    minute, on all replicas. Both count alike: each can make the bot post to the chat, and
    a group takes only 20 of the bot's messages a minute (Telegram's limit), so one member
    must not be able to spend them all."""

    def __init__(self, per_minute: int, windows: Windows) -> None:
        self.per_minute = per_minute
        self.windows = windows

    def wait_seconds(self, user_id: int) -> int:
        """0 and the question or press is counted, or how many seconds until the user may
        ask again."""
        if self.per_minute <= 0:
            return 0
        return self.windows.take(f"ask:{user_id}", self.per_minute, WINDOW_SECONDS)

    def first_refusal(self, user_id: int) -> bool:
        """Whether to tell the user to slow down: once a minute at most. Telling them at
        every message over the limit would post as many messages as they send."""
        return self.windows.take(f"slowed:{user_id}", 1, WINDOW_SECONDS) == 0


class RefusalOnce:
    """Whether to tell someone they aren't allowed: the first time, then once a day."""

    def __init__(self, windows: Windows) -> None:
        self.windows = windows

    def should_tell(self, who: int) -> bool:
        return self.windows.take(f"refused:{who}", 1, REFUSAL_EVERY_SECONDS) == 0
