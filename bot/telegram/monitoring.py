"""What an operator's tools ask the bot, in every mode (polling, webhook, the indexer role):
readiness, and with NEWSDESK_METRICS_PORT set, a small aiohttp server on
NEWSDESK_METRICS_LISTEN (127.0.0.1 unless told otherwise) with two routes:

- GET /metrics: the Prometheus text format of `bot.telemetry`'s metrics;
- GET /healthz: readiness as JSON (store reachable, database reachable, index size), 200
  when ready and 503 when not; the same report as the webhook server's /healthz.

Neither shows a path or a URL: a failed check names its error's type, the log has the rest.
The server starts before the bot first calls Telegram, so both answer during an outage.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.errors import NewsdeskError
from bot.telegram.context import NewsdeskApplication

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
HEALTH_TIMEOUT_SECONDS = 5.0


class MetricsPortError(NewsdeskError):
    """NEWSDESK_METRICS_PORT can't be listened on (in use, or not ours to take)."""


async def readiness(application: NewsdeskApplication) -> dict[str, Any]:
    """What /healthz reports: each check's result, an error's message redacted."""
    data = application.bot_data
    answering = data.services.answering

    def store() -> dict[str, Any]:
        return {"chunks": answering.store.count()}

    def database() -> dict[str, Any]:
        data.state.answers.stats(60)  # one query on the answer log's database
        return {}

    def keyword() -> dict[str, Any]:
        return {"chunks": answering.keyword.folder.count()}

    checks = {"store": store, "database": database, "keyword_index": keyword}
    results = await asyncio.gather(*(_check(run, answering.redact) for run in checks.values()))
    report: dict[str, Any] = dict(zip(checks, results, strict=True))
    report["ready"] = all(result["ok"] for result in results)
    report["updates_waiting"] = application.update_queue.qsize()
    return report


async def _check(run: Any, redact: Any) -> dict[str, Any]:
    try:
        found = await asyncio.wait_for(asyncio.to_thread(run), HEALTH_TIMEOUT_SECONDS)
    except TimeoutError:
        return {"ok": False, "error": f"no answer in {HEALTH_TIMEOUT_SECONDS:.0f} s"}
    except Exception as error:  # any failure is the report's content, not the server's
        log.warning("/healthz: %s", redact(f"{type(error).__name__}: {error}"))
        return {"ok": False, "error": f"{type(error).__name__} (details in the log)"}
    return {"ok": True, **found}


async def healthz(application: NewsdeskApplication) -> web.Response:
    report = await readiness(application)
    return web.json_response(report, status=200 if report["ready"] else 503)


def monitoring_app(application: NewsdeskApplication) -> web.Application:
    """/metrics and /healthz; nothing else (any other path is a plain 404)."""
    telemetry = application.bot_data.services.telemetry

    async def metrics(request: web.Request) -> web.Response:
        # In a thread: the scrape reads the store's count and the job queue's depth.
        body = await asyncio.to_thread(telemetry.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def health(request: web.Request) -> web.Response:
        return await healthz(application)

    app = web.Application()
    app.router.add_get(METRICS_PATH, metrics)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def start_monitoring(application: NewsdeskApplication) -> None:
    """Serve /metrics and /healthz if NEWSDESK_METRICS_PORT is set; a port that can't be
    listened on is one clear error, before anything else starts."""
    settings = application.bot_data.settings
    port, listen = settings.metrics_port, settings.metrics_listen
    if port is None or application.bot_data.monitoring is not None:
        return
    runner = web.AppRunner(monitoring_app(application), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except OSError as error:
        await runner.cleanup()
        raise MetricsPortError(_cannot_listen(listen, port, error)) from None
    application.bot_data.monitoring = runner
    log.info("metrics on http://%s:%d%s and %s", listen, port, METRICS_PATH, HEALTH_PATH)


def _cannot_listen(listen: str, port: int, error: OSError) -> str:
    where = f"NEWSDESK_METRICS_PORT={port} on NEWSDESK_METRICS_LISTEN={listen}"
    if error.errno == errno.EADDRINUSE:
        return (
            f"{where}: the port is already in use (another newsdesk, or another program); "
            "choose a free port or stop what holds it"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"{where}: not allowed to listen there (ports below 1024 need privileges)"
    return f"{where}: can't listen there ({error.strerror or type(error).__name__})"


async def stop_monitoring(application: NewsdeskApplication) -> None:
    runner, application.bot_data.monitoring = application.bot_data.monitoring, None
    if runner is not None:
        await runner.cleanup()
