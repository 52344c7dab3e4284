"""/digest HH:MM and /timezone ZONE: a daily message, at that local time, of the reports on the
followed stories published since the last one; `/digest off` stops it. The process that
indexes sends them, from a scheduled job every NEWSDESK_JOB_POLL_SECONDS (`schedule`), and
claims each due digest in the shared database first, so each is sent once.

/digest's and /timezone's replies are in the client's language (bot/translation.py),
and so is the digest sent later: /digest and /timezone keep the client's language with the
place's digest (the last client to change it is the one who reads it), and the digest's own
words (its heading, the line when nothing is new, its dates) come from that catalog. A digest
set up before the language was kept, or from a client in a language without a catalog, is
sent in English; so is a DigestError's reason (bot.state). The articles are as they are."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from langchain_core.documents import Document
from telegram import Message, Update

from bot.answering.retrieval_steps import day_number
from bot.state.digests import DigestError, DigestSetting, DueDigest, parse_time
from bot.state.follows import Due
from bot.telegram.answer_words import wording_in
from bot.telegram.context import Context, NewsdeskApplication, topic_of
from bot.telegram.pushes import Place, find_matches, push_text, send_push
from bot.translation import SHIPPED, for_language, for_update, language_of
from bot.wiring.bot import BotServices

log = logging.getLogger(__name__)

DIGEST_HEADING = "🗞 Your daily digest of the stories you follow:"
DIGEST_USAGE = (
    "Send /digest HH:MM for a daily digest of new reports on the stories you follow, at that "
    "time (your time zone: /timezone), or /digest off to stop it."
)
TIMEZONE_USAGE = "Send /timezone and its IANA name, for example: /timezone Europe/Berlin."
DIGEST_NOW = "Your digest comes daily at {at} ({timezone}). {usage}"
DIGEST_OFF = "Daily digest off."
DIGEST_SET = (
    "Your digest of the stories you follow comes daily at {at} ({timezone}; /timezone changes "
    "it). /follow TOPIC adds a story; /digest off stops it."
)
TIMEZONE_NOW = "Your time zone here is {timezone}. {usage}"
TIMEZONE_SET = "Time zone set to {timezone}."
TIMEZONE_SET_WITH_DIGEST = "Time zone set to {timezone}. Your digest comes daily at {at} there."
# A digest with nothing new in it.
NOTHING_NEW = "🗞 No new reports on the stories you follow since {since}."
NOTHING_FOLLOWED = "🗞 No new reports on anything (/follow TOPIC to start) since {since}."
# The message ids said here (the catalogs' checks, tests/test_telegram_languages.py).
LINES = [DIGEST_USAGE, TIMEZONE_USAGE, DIGEST_NOW, DIGEST_OFF, DIGEST_SET, TIMEZONE_NOW]
LINES += [TIMEZONE_SET, TIMEZONE_SET_WITH_DIGEST, DIGEST_HEADING, NOTHING_NEW, NOTHING_FOLLOWED]


async def _asked(
    update: Update, context: Context
) -> tuple[Message, Place, str, DigestSetting] | None:
    """The command's message, its place (chat, forum topic), the words after the command, and
    the place's digest setting as it is."""
    message = update.effective_message
    if message is None:
        return None
    place = (message.chat_id, topic_of(message))
    setting = await asyncio.to_thread(context.state.digests.setting, *place)
    return message, place, " ".join(context.args or []), setting


async def digest(update: Update, context: Context) -> None:
    """Set, show or stop this chat's daily digest."""
    asked = await _asked(update, context)
    if asked is None:
        return
    message, place, given, setting = asked
    words, language = for_update(update), language_of(update.effective_user)
    usage = words.gettext(DIGEST_USAGE)
    if not given:
        now = words.gettext(DIGEST_NOW).format(
            at=setting.at, timezone=setting.timezone, usage=usage
        )
        await message.reply_text(now if setting.at else usage)
        return
    try:
        minute = None if given.lower() == "off" else parse_time(given)
        digests = context.state.digests
        setting = await asyncio.to_thread(digests.set_time, *place, minute, language)
    except DigestError as error:
        await message.reply_text(f"{error} {usage}")
        return
    if setting.at_minute is None:
        await message.reply_text(words.gettext(DIGEST_OFF))
        return
    said = words.gettext(DIGEST_SET).format(at=setting.at, timezone=setting.timezone)
    await message.reply_text(said)


async def timezone(update: Update, context: Context) -> None:
    """Set or show the time zone this chat's digest keeps to."""
    asked = await _asked(update, context)
    if asked is None:
        return
    message, place, given, setting = asked
    words, language = for_update(update), language_of(update.effective_user)
    if not given:  # show it
        usage = words.gettext(TIMEZONE_USAGE)
        said = words.gettext(TIMEZONE_NOW).format(timezone=setting.timezone, usage=usage)
        await message.reply_text(said)
        return
    try:
        digests = context.state.digests
        setting = await asyncio.to_thread(digests.set_timezone, *place, given, language)
    except DigestError as error:
        await message.reply_text(str(error))
        return
    line = TIMEZONE_SET_WITH_DIGEST if setting.at else TIMEZONE_SET
    await message.reply_text(words.gettext(line).format(timezone=setting.timezone, at=setting.at))


def digest_text(services: BotServices, due: DueDigest) -> tuple[str, list[str]]:
    """The digest's message, and the keys of the articles it lists."""
    follows = services.state.follows.listed(due.chat_id, due.thread_id)
    since = due.since.toordinal()

    def covered(passage: Document) -> bool:
        key = str(passage.metadata.get("article_key", ""))
        day = day_number(str(passage.metadata.get("published", "")))
        return day is not None and day >= since and key not in due.sent_keys

    scope = services.state.sources.scope(due.chat_id) if follows else None
    scopes = {due.chat_id: scope} if scope is not None else {}
    found = find_matches(services.service, follows, covered, scopes) if follows else {}
    matches = found.get((due.chat_id, due.thread_id), [])
    if not matches:
        line = for_language(due.language).gettext(NOTHING_NEW if follows else NOTHING_FOLLOWED)
        return line.format(since=said_day(due.since, due.language)), []
    text = push_text(Due(matches, 0, due.language), DIGEST_HEADING)
    return text, sorted({m.article_key for m in matches})


def said_day(day: date, language: str | None) -> str:
    """A date in a digest: as an answer says it in a shipped language (Babel's, the month
    named in it); "5 December 2026" in English."""
    if language in SHIPPED:
        return wording_in(language).day(day.isoformat())
    return f"{day.day} {day:%B %Y}"


async def send_due_digests(context: Context) -> None:
    """Scheduled: send every digest that is due, each claimed first so it goes once."""
    services = context.bot_data.services
    for due in await asyncio.to_thread(services.state.digests.claim_due):
        try:
            text, keys = await asyncio.to_thread(digest_text, services, due)
        except Exception:
            log.exception("the digest of chat %d could not be made", due.chat_id)
            continue
        place = (due.chat_id, due.thread_id)
        if await send_push(context.bot, services.state, place, text):
            await asyncio.to_thread(services.state.digests.sent, *place, keys)
            log.info("digest of %d articles sent to chat %d", len(keys), due.chat_id)


def schedule(application: NewsdeskApplication) -> None:
    """In a process that indexes, look for due digests every NEWSDESK_JOB_POLL_SECONDS."""
    settings = application.bot_data.settings
    if application.job_queue is not None and settings.runs_indexing_jobs:
        every = settings.job_poll_seconds
        application.job_queue.run_repeating(send_due_digests, interval=every, first=every)
