"""/follow, /following and /unfollow: the stories a chat follows (per forum topic in a forum),
kept in the shared database. What is pushed when new reports come is `bot.telegram.pushes`."""

from __future__ import annotations

import asyncio
import re

from telegram import Message, Update

from bot.state.follows import MAX_TOPIC_CHARS, FollowError
from bot.telegram.context import Context, topic_of

FOLLOW_USAGE = (
    "Send /follow and the story to follow, in a few words (at most "
    f"{MAX_TOPIC_CHARS} characters), for example: /follow the mayor of Tal Sufouq. "
    "New reports on it then come here after the articles are indexed."
)
UNFOLLOW_USAGE = (
    "Send /unfollow and the number /following shows for the story, for example: /unfollow 2."
)
NOTHING_FOLLOWED = "You follow nothing here. /follow TOPIC starts following a story."
_COMMAND = re.compile(r"^/\w+(?:@\w+)?\s*", re.ASCII)
_NUMBER = re.compile(r"\d+", re.ASCII)
MAX_DIGITS = 6  # no chat has a million follows


def _after_command(message: Message) -> str:
    """The message's text after its /command, as written (context.args splits it)."""
    return _COMMAND.sub("", message.text or "", count=1)


async def follow(update: Update, context: Context) -> None:
    """Follow a story: its new reports are pushed to this chat (and forum topic)."""
    message = update.effective_message
    if message is None:
        return
    text = _after_command(message)
    if not text.strip():
        await message.reply_text(FOLLOW_USAGE)
        return
    follows = context.state.follows
    try:
        added = await asyncio.to_thread(follows.add, message.chat_id, topic_of(message), text)
    except FollowError as error:
        await message.reply_text(str(error))
        return
    await message.reply_text(
        f"Following “{added.topic}”. When new articles on it are indexed, I send them here "
        "(at most one message every few minutes). /following lists what you follow; "
        "/unfollow N stops one."
    )


async def following(update: Update, context: Context) -> None:
    """The stories followed here, numbered as /unfollow takes them."""
    message = update.effective_message
    if message is None:
        return
    follows = context.state.follows
    listed = await asyncio.to_thread(follows.listed, message.chat_id, topic_of(message))
    if not listed:
        await message.reply_text(NOTHING_FOLLOWED)
        return
    lines = [f"{n}. {f.topic}" for n, f in enumerate(listed, start=1)]
    await message.reply_text(
        "You follow here:\n" + "\n".join(lines) + "\n/unfollow N stops following number N."
    )


async def unfollow(update: Update, context: Context) -> None:
    """Stop following the story numbered N in /following."""
    message = update.effective_message
    if message is None:
        return
    given = _after_command(message).strip()
    if not given:
        await message.reply_text(UNFOLLOW_USAGE)
        return
    if not _NUMBER.fullmatch(given):
        shown = given if len(given) <= 20 else given[:20] + "…"
        await message.reply_text(f"“{shown}” is not a number. {UNFOLLOW_USAGE}")
        return
    if len(given) > MAX_DIGITS:
        shown = given[:MAX_DIGITS]
        await message.reply_text(f"There is no follow number {shown}…. {UNFOLLOW_USAGE}")
        return
    follows = context.state.follows
    try:
        gone = await asyncio.to_thread(
            follows.remove, message.chat_id, topic_of(message), int(given)
        )
    except FollowError as error:
        await message.reply_text(str(error))
        return
    await message.reply_text(f"Stopped following “{gone.topic}”.")
