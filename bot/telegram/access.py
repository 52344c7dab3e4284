"""Who may use the bot, and how often: allowlists and a per-user rate limit."""

from __future__ import annotations

import gettext
from typing import TYPE_CHECKING, Protocol

from telegram import Message, Update

from bot.settings import Settings
from bot.telegram.translation import ENGLISH, for_update

if TYPE_CHECKING:
    from bot.telegram.context import Context

NOT_ALLOWED = (
    "Sorry, this bot answers only the people and chats it was set up for. "
    "If you should have access, ask the bot's admin to add you."
)
ADMINS_ONLY = "Sorry, only the bot's admins can do that. You can ask me questions, though."
WINDOW_SECONDS = 60.0
# Someone not on the allowlist is told once a day; telling them at every message would let
# them make the bot send as many messages as they like.
REFUSAL_EVERY_SECONDS = 86400.0


def is_allowed(settings: Settings, user_id: int | None, chat_id: int | None) -> bool:
    """Admins always; anyone else if they pass both allowlists (an empty list lets all pass).
    A private chat's id is the user's id, so NEWSDESK_ALLOWED_CHAT_IDS can list users too."""
    if user_id is not None and user_id in settings.admin_ids:
        return True
    users, chats = settings.allowed_user_ids, settings.allowed_chat_ids
    user_ok = not users or (user_id is not None and user_id in users)
    chat_ok = not chats or (chat_id is not None and chat_id in chats)
    return user_ok and chat_ok


def is_admin(update: Update, settings: Settings) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings.admin_ids


async def admin_message(update: Update, context: Context) -> Message | None:
    """The update's message if an admin sent it; anyone else gets the polite refusal."""
    message = update.effective_message
    if message is None:
        return None
    if not is_admin(update, context.settings):
        await message.reply_text(for_update(update).gettext(ADMINS_ONLY))
        return None
    return message


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


def slow_down_message(
    per_minute: int, seconds: int, language: gettext.NullTranslations = ENGLISH
) -> str:
    """Short enough for a button press's alert (200 characters), in `language`."""
    line = language.ngettext(
        "You've asked {per_minute} questions in the last minute (button presses count too), "
        "the most I take. Please try again in {seconds} second.",
        "You've asked {per_minute} questions in the last minute (button presses count too), "
        "the most I take. Please try again in {seconds} seconds.",
        seconds,
    )
    return line.format(per_minute=per_minute, seconds=seconds)


class RefusalOnce:
    """Whether to tell someone they aren't allowed: the first time, then once a day."""

    def __init__(self, windows: Windows) -> None:
        self.windows = windows

    def should_tell(self, who: int) -> bool:
        return self.windows.take(f"refused:{who}", 1, REFUSAL_EVERY_SECONDS) == 0
