"""Who may use the bot: allowlists and admins, and what those refused or slowed down are told
(the per-user rate limit itself is in limits.py)."""

from __future__ import annotations

import gettext

from telegram import Message, Update

from bot.settings import Settings
from bot.telegram.context import Context
from bot.translation import ENGLISH, for_update

NOT_ALLOWED = (
    "Sorry, this bot answers only the people and chats it was set up for. "
    "If you should have access, ask the bot's admin to add you."
)
ADMINS_ONLY = "Sorry, only the bot's admins can do that. You can ask me questions, though."


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
