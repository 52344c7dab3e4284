"""Indexing runs the bot makes (/reindex, documents and links, queued jobs, the feed poll): one
at a time, off the event loop so answering goes on meanwhile, with progress told to the admin
who asked and a report at the end."""

from __future__ import annotations

import asyncio
import html
import logging
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError

from bot.render import split_messages
from bot.settings import Settings
from bot.state.shared import SharedState
from bot.telegram.context import Context
from bot.telegram.pushes import push_new_articles
from bot.telegram.sending import send_html_messages
from index.ingest.sources import Sources
from index.pipeline import IndexSummary, Progress

log = logging.getLogger(__name__)

WAITING_FOR_INDEXING = "Another indexing run is going on: this one starts when it is done."
SHOWN_PROBLEMS = 5


async def run_indexing(
    context: Context,
    sources: Sources,
    *,
    prune: bool = False,
    progress: Progress | None = None,
    started: asyncio.Event | None = None,
) -> IndexSummary:
    """One indexing run at a time, off the event loop so answering goes on meanwhile;
    `started` is set once this run's turn has come. Counted in the metrics, failed or not.
    Every indexing run of the bot comes here (the feed poll, uploads, links, /reindex, queued
    jobs), and only in a process that indexes: its new articles are pushed to the chats
    following their story from here (`bot.telegram.pushes`), once."""
    data = context.bot_data
    telemetry = data.services.telemetry
    async with data.index_lock:
        if started is not None:
            started.set()
        try:
            summary = await asyncio.to_thread(
                data.services.indexer.run, sources, prune=prune, progress=progress
            )
        except Exception:
            telemetry.indexing_failed()
            raise
    telemetry.indexing_run(summary)
    if not summary.interrupted:
        # In the background: the admin's report doesn't wait for the followers' pushes. A run
        # with nothing new still sends what an earlier one held back for the rate limit.
        pushes = push_new_articles(context.bot, data.services, list(summary.added_keys))
        if context.application.running:
            context.application.create_task(pushes)
        else:  # stopping: a task would not be awaited, so the pushes go before the report
            await pushes
    return summary


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


def worker_name() -> str:
    """Who runs a job: one indexer per host, so a restarted one takes back what it had."""
    return socket.gethostname()


async def index_and_report(
    message: Message,
    context: Context,
    sources: Sources,
    job: tuple[str, dict[str, Any]],
    *,
    prune: bool = False,
    finished: Callable[[], None] | None = None,
) -> None:
    """Index `sources`, telling the admin how far it got every NEWSDESK_INDEX_PROGRESS_SECONDS,
    then send the report; `finished` is called when the run ends, before the report goes
    out. Meant to run in the background (`in_background`). The run is on record as a job
    (`job`: its kind and payload, as a queued one would have) running here, so one stopped by
    a shutdown is taken back and run again at the next start (`bot.telegram.jobs`)."""
    queue = context.state.jobs
    kind, payload = job
    job_id = await asyncio.to_thread(queue.start, kind, payload, message.chat_id, worker_name())
    if context.bot_data.index_lock.locked():
        await message.reply_text(WAITING_FOR_INDEXING)
    latest = _LatestSummary()
    every = context.settings.index_progress_seconds
    ticker = asyncio.create_task(_tell_progress(message, context, latest, every))
    try:
        summary = await run_indexing(
            context, sources, prune=prune, progress=latest, started=latest.started
        )
    except Exception as error:  # the error handler tells the admin
        failed = {"error": type(error).__name__}
        await asyncio.to_thread(queue.finish, job_id, failed, failed=True)
        raise
    finally:
        ticker.cancel()
        if finished is not None:
            finished()
    if summary.interrupted:  # still running on record: the next start takes it back
        log.info("job %d (%s) stopped by the shutdown: %s", job_id, kind, summary.describe())
        return
    await asyncio.to_thread(queue.finish, job_id, {"summary": summary.describe()})
    await send_report(message, summary, context)


async def _tell_progress(
    message: Message, context: Context, latest: _LatestSummary, every: float
) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        elapsed = f"{time.monotonic() - started:.0f} s"
        if latest.summary is not None and latest.summary.waiting:
            text = f"Still waiting ({elapsed}): {latest.summary.waiting}"
        elif latest.summary is not None:
            text = f"Still indexing ({elapsed}): {latest.summary.describe()} so far."
        elif latest.started.is_set():
            text = f"Still indexing ({elapsed}): reading the first source."
        else:
            text = f"Still waiting for the other indexing run to finish ({elapsed})."
        try:
            await context.bot.send_message(message.chat_id, context.redact(text))
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
    redact = context.redact  # a URL in a problem may carry a password
    messages = [redact(text) for text in report(summary)]
    await send_html_messages(context.bot, message.chat_id, messages)


def reindex_sources(settings: Settings, state: SharedState) -> Sources:
    """What /reindex re-syncs: NEWSDESK_SOURCES, every recorded upload (written into the
    uploads folder first if another replica received it) and the recorded feeds. Pruning
    goes by these shared records: an upload or feed still on record is never pruned."""
    state.uploads.materialize(settings.uploads_dir)
    sources = Sources.parse(settings.reindex_sources())
    polled = state.feeds.polled()
    sources.feeds, sources.poll_feeds = polled.feeds, True
    sources.feed_collections = polled.feed_collections
    return sources
