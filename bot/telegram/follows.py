"""/follow, /following and /unfollow: the stories a chat follows (per forum topic in a forum),
kept in the shared database. What is pushed when new reports come is `bot.telegram.pushes`.

The replies are in the client's language (bot/translation.py: the English text is
the message id); a FollowError's reason comes from bot.state and stays English. The client's
language is kept with the follow, and its pushes are worded in it."""

from __future__ import annotations

import asyncio
import re

from telegram import Message, Update

from bot.state.follows import MAX_TOPIC_CHARS, FollowError
from bot.telegram.context import Context, topic_of
from bot.translation import for_update, language_of

# /follow's usage names the topic's limit, so it is a plural message (Russian: 200 символов).
FOLLOW_USAGE_PLURAL = (
    "Send /follow and the story to follow, in a few words (at most {limit} character), for "
    "example: /follow the mayor of Tal Sufouq. New reports on it then come here after the "
    "articles are indexed.",
    "Send /follow and the story to follow, in a few words (at most {limit} characters), for "
    "example: /follow the mayor of Tal Sufouq. New reports on it then come here after the "
    "articles are indexed.",
)
FOLLOW_USAGE = FOLLOW_USAGE_PLURAL[1].format(limit=MAX_TOPIC_CHARS)
UNFOLLOW_USAGE = (
    "Send /unfollow and the number /following shows for the story, for example: /unfollow 2."
)
NOTHING_FOLLOWED = "You follow nothing here. /follow TOPIC starts following a story."
FOLLOWING = (
    "Following “{topic}”. When new articles on it are indexed, I send them here (at most one "
    "message every few minutes). /following lists what you follow; /unfollow N stops one."
)
FOLLOWED_HERE = "You follow here:\n{stories}\n/unfollow N stops following number N."
NOT_A_NUMBER = "“{given}” is not a number. {usage}"
NO_SUCH_NUMBER = "There is no follow number {given}…. {usage}"
STOPPED = "Stopped following “{topic}”."
# The message ids said here (the catalogs' checks, tests/test_telegram_languages.py).
LINES = [UNFOLLOW_USAGE, NOTHING_FOLLOWED, FOLLOWING, FOLLOWED_HERE, NOT_A_NUMBER]
LINES += [NO_SUCH_NUMBER, STOPPED]
PLURALS = [FOLLOW_USAGE_PLURAL]
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
    words, text = for_update(update), _after_command(message)
    if not text.strip():
        usage = words.ngettext(*FOLLOW_USAGE_PLURAL, MAX_TOPIC_CHARS)
        await message.reply_text(usage.format(limit=MAX_TOPIC_CHARS))
        return
    follows, language = context.state.follows, language_of(update.effective_user)
    place = (message.chat_id, topic_of(message))
    try:
        added = await asyncio.to_thread(follows.add, *place, text, language)
    except FollowError as error:
        await message.reply_text(str(error))
        return
    await message.reply_text(words.gettext(FOLLOWING).format(topic=added.topic))


async def following(update: Update, context: Context) -> None:
    """The stories followed here, numbered as /unfollow takes them."""
    message = update.effective_message
    if message is None:
        return
    words, follows = for_update(update), context.state.follows
    listed = await asyncio.to_thread(follows.listed, message.chat_id, topic_of(message))
    if not listed:
        await message.reply_text(words.gettext(NOTHING_FOLLOWED))
        return
    stories = "\n".join(f"{n}. {f.topic}" for n, f in enumerate(listed, start=1))
    await message.reply_text(words.gettext(FOLLOWED_HERE).format(stories=stories))


async def unfollow(update: Update, context: Context) -> None:
    """Stop following the story numbered N in /following."""
    message = update.effective_message
    if message is None:
        return
    words, given = for_update(update), _after_command(message).strip()
    usage = words.gettext(UNFOLLOW_USAGE)
    if not given:
        await message.reply_text(usage)
        return
    if not _NUMBER.fullmatch(given):
        shown = given if len(given) <= 20 else given[:20] + "…"
        await message.reply_text(words.gettext(NOT_A_NUMBER).format(given=shown, usage=usage))
        return
    if len(given) > MAX_DIGITS:
        shown = given[:MAX_DIGITS]
        await message.reply_text(words.gettext(NO_SUCH_NUMBER).format(given=shown, usage=usage))
        return
    follows = context.state.follows
    try:
        gone = await asyncio.to_thread(
            follows.remove, message.chat_id, topic_of(message), int(given)
        )
    except FollowError as error:
        await message.reply_text(str(error))
        return
    await message.reply_text(words.gettext(STOPPED).format(topic=gone.topic))
