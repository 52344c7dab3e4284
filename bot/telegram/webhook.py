"""Webhook mode: Telegram posts each update to NEWSDESK_WEBHOOK_URL, so any number of replicas
can run behind one load balancer (long polling allows one). python-telegram-bot's own webhook
server (tornado) serves the one path and nothing else; this is the small server its
`examples/customwebhookbot` describes instead, on aiohttp, with two routes:

- POST <the URL's path>: an update. Without the right `X-Telegram-Bot-Api-Secret-Token`
  it gets 403. With it, always 200: an update is written to the journal
  (`bot.telegram.journal`) before Telegram gets its 200, then queued for the Application; a
  body that is no usable update is logged and dropped (a 4xx or 5xx would have Telegram
  retry it, holding back every later update).
- GET /healthz: readiness as JSON (store reachable, database reachable, index size); 200
  when ready, 503 when not (`bot.telegram.monitoring`, which also serves it, with /metrics,
  on NEWSDESK_METRICS_PORT). No paths or URLs: a failed check names its error's type, the
  log has the rest. The load balancer (deploy/nginx.conf) doesn't pass it on.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from contextlib import suppress
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.errors import NewsdeskError
from bot.telegram.app import start_up
from bot.telegram.context import NewsdeskApplication
from bot.telegram.journal import JournaledApplication, id_fits, malformed
from bot.telegram.monitoring import HEALTH_PATH, healthz, start_monitoring, stop_monitoring
from bot.telegram.network import LONGEST_WAIT_SECONDS, RETRYABLE, backoff_seconds
from bot.telegram.shutdown import on_stop_signals

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram"
# Telegram's updates are a few kB; a document's content is never in one.
MAX_UPDATE_BYTES = 1024 * 1024


class WebhookSettingsError(NewsdeskError):
    """Webhook mode asked for without a usable NEWSDESK_WEBHOOK_URL."""


def webhook_path(url: str | None) -> str:
    """The path this server answers updates on: NEWSDESK_WEBHOOK_URL's own path."""
    if not url:
        raise WebhookSettingsError(
            "webhook mode needs NEWSDESK_WEBHOOK_URL: the public https URL Telegram posts "
            "updates to (e.g. https://bot.example.org/telegram)"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookSettingsError(
            f"NEWSDESK_WEBHOOK_URL must be an https URL such as https://bot.example.org/telegram, "
            f"not {url!r}"
        )
    path = parts.path.rstrip("/") or DEFAULT_PATH
    if path == HEALTH_PATH:
        raise WebhookSettingsError(f"NEWSDESK_WEBHOOK_URL can't end in {HEALTH_PATH}")
    return path


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status)


def secret_matches(given: str | None, secret: str) -> bool:
    """Compared in constant time, so the secret can't be guessed a character at a time."""
    return hmac.compare_digest((given or "").encode("utf-8", "replace"), secret.encode())


async def read_update(request: web.Request, application: NewsdeskApplication) -> Update | str:
    """The update in the request's body, or why it isn't one."""
    try:
        data = await request.json(loads=json.loads)
    except web.HTTPRequestEntityTooLarge:
        return "too large for an update"
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return "the body is not JSON"
    if not isinstance(data, dict) or not id_fits(data.get("update_id")):
        return "the body is not a Telegram update"
    try:
        update = Update.de_json(data, application.bot)
    # python-telegram-bot's parsing assumes Telegram's shapes: "message": "hi" raises
    # AttributeError, other shapes other errors; none of them is the server's failure.
    except Exception as error:
        return f"the body is not a Telegram update ({type(error).__name__})"
    if problem := malformed(update):
        return problem
    if isinstance(application, JournaledApplication):
        application.journal.record([data])  # on disk before Telegram hears it arrived
    return update


def webhook_app(application: NewsdeskApplication, path: str, secret: str) -> web.Application:
    """The aiohttp application: the update route and /healthz."""

    async def receive(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            log.warning("webhook update refused: wrong or missing secret token")
            return _error(403, "Forbidden: wrong or missing secret token")
        update = await read_update(request, application)
        if isinstance(update, str):
            # Acknowledged all the same: Telegram retries an update that got no 200, and
            # holds back every later one meanwhile.
            log.warning("webhook update dropped: %s", update)
            return web.json_response({"ok": True, "dropped": update})
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    async def health(request: web.Request) -> web.Response:
        return await healthz(application)

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path, receive)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def serve_webhook(application: NewsdeskApplication, stop: asyncio.Event) -> None:
    """Tell Telegram the webhook, then handle what it posts until `stop` is set."""
    settings = application.bot_data.settings
    path = webhook_path(settings.webhook_url)
    secret = settings.webhook_secret_token()
    runner = web.AppRunner(webhook_app(application, path, secret), access_log=None)
    await start_monitoring(application)
    try:
        async with application:  # initialize, and shutdown at the end
            await start_up(application)
            if not await _set_webhook(application, str(settings.webhook_url), secret, stop):
                return
            await application.start()
            await runner.setup()
            try:
                site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
                await site.start()
                log.info(
                    "webhook server on %s:%d%s",
                    settings.webhook_listen,
                    settings.webhook_port,
                    path,
                )
                await stop.wait()
            finally:
                await runner.cleanup()
                await application.stop()
    finally:
        await stop_monitoring(application)


async def _set_webhook(
    application: NewsdeskApplication, url: str, secret: str, stop: asyncio.Event
) -> bool:
    """Tell Telegram where to post, waiting out an outage as polling does (a refusal, such as
    a bad token, is raised); False if asked to stop meanwhile."""
    failures = 0
    while not stop.is_set():
        try:
            await application.bot.set_webhook(
                url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
            return True
        except RETRYABLE as error:
            failures += 1
            wait = backoff_seconds(failures, LONGEST_WAIT_SECONDS)
            log.warning("setWebhook failed (%s); trying again in %.1f s", error, wait)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
    return False


def run_webhook(application: NewsdeskApplication) -> None:
    """Serve the webhook until SIGINT or SIGTERM, which stop it within
    NEWSDESK_SHUTDOWN_SECONDS (`bot.telegram.shutdown`)."""
    webhook_path(application.bot_data.settings.webhook_url)  # a bad URL: said at once

    async def main() -> None:
        stop = asyncio.Event()
        on_stop_signals(asyncio.get_running_loop(), application, stop.set)
        await serve_webhook(application, stop)

    asyncio.run(main())
