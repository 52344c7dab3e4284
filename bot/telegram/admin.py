"""Telegram handlers for operators: /reindex, /prompt, /stats, the reports of indexing runs
and the scheduled feed poll (documents and links to index are `bot.telegram.uploads`). Only
users in NEWSDESK_ADMIN_IDS may use them."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError

from bot.app import Parts
from bot.prompt_commands import USAGE, PromptCommandError, prompt_command
from bot.render import split_messages
from bot.settings import Settings
from bot.state.shared import SharedState
from bot.telegram.context import Context, chat_memory
from bot.telegram.sending import send_html_messages
from index.errors import NewsdeskError
from index.ingest.sources import Sources
from index.pipeline import IndexSummary, Progress

log = logging.getLogger(__name__)

ADMINS_ONLY = "Sorry, only the bot's admins can do that. You can ask me questions, though."
REINDEXING = (
    "Re-indexing the sources, the uploaded documents and the feeds in the background; "
    "questions are answered meanwhile..."
)
# The sample article is for trying newsdesk on an empty index (`newsdesk start`), never for
# a production index, so /reindex leaves it out.
REINDEXING_WITHOUT_SOURCES = (
    "Re-indexing the uploaded documents and the feeds. NEWSDESK_SOURCES is empty, so there "
    "are no other sources (the bundled sample is only for trying newsdesk on an empty index)..."
)
QUEUED = (
    "Queued as job {job}: this bot only answers (NEWSDESK_ROLE=bot), so the indexer re-syncs "
    "the sources, the uploaded documents and the feeds, and reports here when done."
)
ALREADY_REINDEXING = (
    "A re-index is already running (started {minutes:.0f} min ago): its report follows when "
    "it is done. Questions are answered meanwhile."
)
WAITING_FOR_INDEXING = "Another indexing run is going on: this one starts when it is done."
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
SHOWN_PROBLEMS = 5


def is_admin(update: Update, settings: Settings) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings.admin_ids


async def admin_message(update: Update, context: Context) -> Message | None:
    """The update's message if an admin sent it; anyone else gets the polite refusal."""
    message = update.effective_message
    if message is None:
        return None
    if not is_admin(update, context.bot_data.parts.settings):
        await message.reply_text(ADMINS_ONLY)
        return None
    return message


def only_urls(text: str) -> list[str]:
    """The URLs, if the message is nothing but URLs (a link to index, not a question)."""
    words = text.split()
    return words if words and all(_URL.fullmatch(word) for word in words) else []


async def run_indexing(
    context: Context,
    sources: Sources,
    *,
    prune: bool = False,
    progress: Progress | None = None,
    started: asyncio.Event | None = None,
) -> IndexSummary:
    """One indexing run at a time, off the event loop so answering goes on meanwhile;
    `started` is set once this run's turn has come."""
    data = context.bot_data
    async with data.index_lock:
        if started is not None:
            started.set()
        return await asyncio.to_thread(
            data.parts.indexer.run, sources, prune=prune, progress=progress
        )


def in_background(context: Context, update: Update, work: Coroutine[Any, Any, None]) -> None:
    """Run `work` without holding up the next update (of this chat or any other); its errors
    reach the error handler, which answers the user who sent `update`."""
    context.application.create_task(work, update=update)


class _LatestSummary:
    """The progress callback of a run: keeps the summary so far (called from its thread)."""

    def __init__(self) -> None:
        self.summary: IndexSummary | None = None
        self.started = asyncio.Event()

    def __call__(self, summary: IndexSummary) -> None:
        self.summary = summary


async def index_and_report(
    message: Message,
    context: Context,
    sources: Sources,
    *,
    prune: bool = False,
    finished: Callable[[], None] | None = None,
) -> None:
    """Index `sources`, telling the admin how far it got every NEWSDESK_INDEX_PROGRESS_SECONDS,
    then send the report; `finished` is called when the run ends, before the report goes
    out. Meant to run in the background (`in_background`)."""
    if context.bot_data.index_lock.locked():
        await message.reply_text(WAITING_FOR_INDEXING)
    latest = _LatestSummary()
    every = context.bot_data.parts.settings.index_progress_seconds
    ticker = asyncio.create_task(_tell_progress(message, context, latest, every))
    try:
        summary = await run_indexing(
            context, sources, prune=prune, progress=latest, started=latest.started
        )
    finally:
        ticker.cancel()
        if finished is not None:
            finished()
    await send_report(message, summary, context)


async def _tell_progress(
    message: Message, context: Context, latest: _LatestSummary, every: float
) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        elapsed = f"{time.monotonic() - started:.0f} s"
        if latest.summary is not None:
            text = f"Still indexing ({elapsed}): {latest.summary.describe()} so far."
        elif latest.started.is_set():
            text = f"Still indexing ({elapsed}): reading the first source."
        else:
            text = f"Still waiting for the other indexing run to finish ({elapsed})."
        try:
            await context.bot.send_message(message.chat_id, context.bot_data.parts.redact(text))
        except TelegramError as error:  # a missed progress message is no reason to stop
            log.warning("Could not send indexing progress (%s)", error)


def report(summary: IndexSummary) -> list[str]:
    """The summary as Telegram HTML messages, split between complete lines and elements:
    counts, new titles, and what was skipped."""
    lines = [html.escape(summary.describe())]
    if summary.added_titles:
        titles = summary.added_titles[:10]
        lines.append("Added: " + "; ".join(f"<b>{html.escape(t)}</b>" for t in titles))
        if len(summary.added_titles) > len(titles):
            lines[-1] += f" and {len(summary.added_titles) - len(titles)} more"
    for problem in summary.problems[:SHOWN_PROBLEMS]:
        lines.append(f"Skipped {html.escape(str(problem))}")
    if len(summary.problems) > SHOWN_PROBLEMS:
        lines.append(f"... and {len(summary.problems) - SHOWN_PROBLEMS} more problems")
    return split_messages(lines, html=True, separator="\n")


async def send_report(message: Message, summary: IndexSummary, context: Context) -> None:
    """The report of an indexing run, to the admin who asked for it."""
    redact = context.bot_data.parts.redact  # a URL in a problem may carry a password
    messages = [redact(text) for text in report(summary)]
    await send_html_messages(context.bot, message.chat_id, messages)


async def reindex(update: Update, context: Context) -> None:
    """Re-sync the configured sources, the uploads and the feeds in the background, then
    report; questions are answered meanwhile. One re-index at a time."""
    message = await admin_message(update, context)
    if message is None:
        return
    data = context.bot_data
    settings, state = data.parts.settings, data.state
    if not settings.runs_indexing_jobs:
        job_id = await asyncio.to_thread(state.jobs.enqueue, "reindex", {}, message.chat_id)
        await message.reply_text(QUEUED.format(job=job_id))
        return
    if data.reindex_started is not None:
        minutes = (time.monotonic() - data.reindex_started) / 60
        await message.reply_text(ALREADY_REINDEXING.format(minutes=minutes))
        return
    data.reindex_started = time.monotonic()
    try:
        sources = await asyncio.to_thread(reindex_sources, data.parts, state)
        await message.reply_text(REINDEXING if settings.sources else REINDEXING_WITHOUT_SOURCES)
    except BaseException:
        data.reindex_started = None
        raise

    def finished() -> None:  # before the report: an admin who reads it may /reindex again
        data.reindex_started = None

    async def reindex_and_report() -> None:
        try:
            await index_and_report(message, context, sources, prune=True, finished=finished)
        finally:
            finished()

    in_background(context, update, reindex_and_report())


def reindex_sources(parts: Parts, state: SharedState) -> Sources:
    """What /reindex re-syncs: NEWSDESK_SOURCES, every recorded upload (written into the
    uploads folder first if another replica received it) and the recorded feeds. Pruning
    goes by these shared records: an upload or feed still on record is never pruned."""
    settings = parts.settings
    state.uploads.materialize(settings.uploads_dir)
    sources = Sources.parse(settings.reindex_sources())
    sources.feeds, sources.poll_feeds = state.feeds.urls(), True
    return sources


async def poll_feeds(context: Context) -> None:
    """Scheduled: index new entries of every listed feed and log what was added."""
    try:
        feeds = await asyncio.to_thread(context.bot_data.state.feeds.urls)
    except NewsdeskError as error:
        log.error("feed poll skipped: %s", error)
        return
    if not feeds:
        return
    summary = await run_indexing(context, Sources(feeds=feeds, poll_feeds=True))
    log.info("feed poll: %s", summary.describe())
    for title in summary.added_titles:
        log.info("feed poll added: %s", title)
    for problem in summary.problems:
        log.warning("feed poll skipped %s", problem)


_PROMPT_COMMAND = re.compile(r"^/prompt(?:@\w+)?[ \t]*(\S*)[ \t]*(\S*)[ \t]?(.*)$", re.DOTALL)


async def prompt(update: Update, context: Context) -> None:
    """Admins: list, show, set, diff, history, rollback and test the prompt templates."""
    message = await admin_message(update, context)
    if message is None:
        return
    matched = _PROMPT_COMMAND.match(message.text or "")
    action, name, rest = matched.groups() if matched else ("", "", "")
    if not action:
        await message.reply_text(USAGE)
        return
    replied = message.reply_to_message.text if message.reply_to_message else None
    text = (rest.strip() or replied) if action == "set" else replied
    user = update.effective_user
    author = "telegram:" + (
        f"{user.id}" + (f" @{user.username}" if user.username else "") if user else "?"
    )
    memory = await chat_memory(context, message.chat_id)
    try:
        reply = await asyncio.to_thread(
            prompt_command,
            context.bot_data.parts.service,
            action,
            [name, *rest.split()] if name else [],
            author=author,
            text=text,
            memory=memory,
        )
    except PromptCommandError as error:
        reply = f"Not done: {error}"
    reply = context.bot_data.parts.redact(reply)
    if len(reply) > 4000:
        reply = reply[:4000] + "\n[... cut: see the full text with `newsdesk prompts` on the CLI]"
    await message.reply_text(reply)


async def stats(update: Update, context: Context) -> None:
    """Admins: questions, refusals, 👍/👎 and median latency for the last day and week."""
    message = await admin_message(update, context)
    if message is None:
        return
    answer_log = context.bot_data.answer_log
    lines = []
    for label, seconds in (("Last 24 hours", 86400), ("Last 7 days", 7 * 86400)):
        figures = await asyncio.to_thread(answer_log.stats, seconds)
        latency = (
            f"{figures.median_latency_ms:.0f} ms" if figures.median_latency_ms is not None else "-"
        )
        lines.append(
            f"{label}: {figures.questions} questions, {figures.refusals} refused, "
            f"{figures.thumbs_up} 👍, {figures.thumbs_down} 👎, median latency {latency}"
        )
    await message.reply_text("\n".join(lines))
