"""The indexer's side of the job queue: in NEWSDESK_ROLE=indexer (or all) a scheduled task
claims the jobs bot replicas queued (/reindex, uploads, links), runs each as one indexing run
and sends its report to the chat that asked. With NEWSDESK_ROLE=indexer the process takes
no updates from Telegram at all: it only sends the reports (`run_indexer`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot

from bot.errors import NewsdeskError
from bot.state.jobs import Job
from bot.telegram.context import Context, NewsdeskApplication
from bot.telegram.indexing import reindex_sources, report, run_indexing, worker_name
from bot.telegram.monitoring import start_monitoring, stop_monitoring
from bot.telegram.sending import send_html_messages
from bot.telegram.shutdown import on_stop_signals
from index.collections import CollectionNameError, check_collection_name
from index.ingest.sources import Sources

log = logging.getLogger(__name__)


class MalformedJobError(NewsdeskError):
    """A queued job whose payload isn't what its kind needs; it is marked failed."""


def job_sources(job: Job, context: Context) -> tuple[Sources, bool]:
    """What the job indexes, and whether the run prunes (only /reindex does)."""
    settings, state = context.settings, context.state
    if job.kind == "reindex":
        return reindex_sources(settings, state), True
    collection = _job_collection(job)
    if job.kind == "upload":
        digest = job.payload.get("digest")
        if not isinstance(digest, str) or digest not in state.uploads.names():
            raise MalformedJobError(f"job {job.id}: no recorded upload {str(digest)[:40]!r}")
        paths = state.uploads.materialize(settings.uploads_dir)
        uploaded = [p for p in paths if p.parent.name == digest]
        return Sources(paths=uploaded, collection=collection), False
    urls = job.payload.get("urls")
    links = [url for url in urls if isinstance(url, str)] if isinstance(urls, list) else []
    if job.kind == "links" and links and len(links) == len(urls or []):
        return Sources(urls=links[:50], collection=collection), False
    raise MalformedJobError(f"job {job.id}: a {job.kind!r} job without what it needs")


def _job_collection(job: Job) -> str | None:
    """The collection an upload or links job names (the chat's, when it was sent), if any."""
    named = job.payload.get("collection")
    if named is None:
        return None
    try:
        return check_collection_name(str(named))
    except CollectionNameError as error:
        raise MalformedJobError(f"job {job.id}: {error}") from None


async def run_job(job: Job, context: Context) -> None:
    queue, redact = context.state.jobs, context.redact
    try:
        sources, prune = await asyncio.to_thread(job_sources, job, context)
        summary = await run_indexing(context, sources, prune=prune)
    except Exception as error:
        reason = redact(str(error)) if isinstance(error, NewsdeskError) else "an internal error"
        log.error("job %d (%s) failed", job.id, job.kind, exc_info=error)
        await asyncio.to_thread(queue.finish, job.id, {"error": reason}, failed=True)
        await _tell(context.bot, job, [f"Job {job.id} ({job.kind}) failed: {reason}"])
        return
    if summary.interrupted:  # left running on record: the next start takes it back
        log.info("job %d (%s) stopped by the shutdown: %s", job.id, job.kind, summary.describe())
        return
    await asyncio.to_thread(queue.finish, job.id, {"summary": summary.describe()})
    log.info("job %d (%s): %s", job.id, job.kind, summary.describe())
    await _tell(context.bot, job, [redact(text) for text in report(summary)])


async def _tell(bot: Bot, job: Job, messages: list[str]) -> None:
    if job.chat_id is None:
        return
    try:
        await send_html_messages(bot, job.chat_id, messages)
    except Exception:  # the job is done either way; its result is on record
        log.warning("could not send the report of job %d", job.id, exc_info=True)


async def run_queued_jobs(context: Context) -> None:
    """Scheduled: run every queued job, oldest first, one at a time, until shutting down."""
    queue, stopping = context.state.jobs, context.services.indexer.stopping
    while not stopping.is_set() and (job := await asyncio.to_thread(queue.claim, worker_name())):
        await run_job(job, context)


RESUMING = (
    "Job {job} ({kind}) was stopped by a restart of the bot before it finished: it runs again "
    "now, carrying on where it stopped, and its report follows."
)


async def take_back_abandoned_jobs(application: NewsdeskApplication) -> None:
    """Jobs this host was running when it stopped (shut down or killed) go back to the queue,
    and the chat that asked for each is told."""
    queue = application.bot_data.state.jobs
    moved = await asyncio.to_thread(queue.requeue_abandoned, worker_name())
    if moved:
        log.info("%d interrupted jobs queued again", len(moved))
    for job in moved:
        await _tell(application.bot, job, [RESUMING.format(job=job.id, kind=job.kind)])


def run_indexer(application: NewsdeskApplication) -> None:
    """NEWSDESK_ROLE=indexer: run the scheduled jobs (queued jobs, the feed poll, keyword
    refresh) until SIGINT or SIGTERM (`bot.telegram.shutdown`), without taking updates from
    Telegram; /metrics and /healthz as the bot serves them (NEWSDESK_METRICS_PORT)."""

    async def main() -> None:
        stop = asyncio.Event()
        on_stop_signals(asyncio.get_running_loop(), application, stop.set)
        await start_monitoring(application)
        try:
            async with application:
                await take_back_abandoned_jobs(application)
                await application.start()
                log.info("indexer running: queued jobs and the feed poll, no updates taken")
                await stop.wait()
                await application.stop()
        finally:
            await stop_monitoring(application)

    asyncio.run(main())


def schedule(application: NewsdeskApplication, **_: Any) -> None:
    """In a process that runs indexing jobs, look for queued ones every
    NEWSDESK_JOB_POLL_SECONDS."""
    settings = application.bot_data.settings
    if application.job_queue is not None and settings.runs_indexing_jobs:
        every = settings.job_poll_seconds
        application.job_queue.run_repeating(run_queued_jobs, interval=every, first=every)
