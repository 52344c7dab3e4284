"""Telegram handlers for operators: /reindex, /prompt, /stats and the scheduled feed poll
(documents and links to index are `bot.telegram.uploads`, the runs themselves
`bot.telegram.indexing`). Only users in NEWSDESK_ADMIN_IDS may use them."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from telegram import Update

from bot.prompt_commands import USAGE, PromptCommandError, prompt_command
from bot.telegram.access import admin_message
from bot.telegram.context import Context, conversation_key
from bot.telegram.indexing import in_background, index_and_report, reindex_sources, run_indexing
from index.errors import NewsdeskError

log = logging.getLogger(__name__)

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


async def reindex(update: Update, context: Context) -> None:
    """Re-sync the configured sources, the uploads and the feeds in the background, then
    report; questions are answered meanwhile. One re-index at a time."""
    message = await admin_message(update, context)
    if message is None:
        return
    data = context.bot_data
    settings, state = data.settings, data.state
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
        sources = await asyncio.to_thread(reindex_sources, settings, state)
        await message.reply_text(REINDEXING if settings.sources else REINDEXING_WITHOUT_SOURCES)
    except BaseException:
        data.reindex_started = None
        raise

    def finished() -> None:  # before the report: an admin who reads it may /reindex again
        data.reindex_started = None

    async def reindex_and_report() -> None:
        try:
            await index_and_report(
                message, context, sources, ("reindex", {}), prune=True, finished=finished
            )
        finally:
            finished()

    in_background(context, update, reindex_and_report())


async def poll_feeds(context: Context) -> None:
    """Scheduled: index new entries of every listed feed and log what was added."""
    try:
        polled = await asyncio.to_thread(context.state.feeds.polled)
    except NewsdeskError as error:
        log.error("feed poll skipped: %s", error)
        return
    if not polled.feeds:
        return
    summary = await run_indexing(context, polled)
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
    history = await asyncio.to_thread(context.conversation.history, conversation_key(message))
    try:
        reply = await asyncio.to_thread(
            prompt_command,
            context.service,
            action,
            [name, *rest.split()] if name else [],
            author=author,
            text=text,
            history=history,
        )
    except PromptCommandError as error:
        reply = f"Not done: {error}"
    reply = context.redact(reply)
    if len(reply) > 4000:
        reply = reply[:4000] + "\n[... cut: see the full text with `newsdesk prompts` on the CLI]"
    await message.reply_text(reply)


async def stats(update: Update, context: Context) -> None:
    """Admins: questions, refusals, 👍/👎 and median latency for the last day and week."""
    message = await admin_message(update, context)
    if message is None:
        return
    answer_log = context.state.answers
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
