"""Stopping on SIGTERM or SIGINT (a deploy, `docker stop`, Ctrl-C) within
NEWSDESK_SHUTDOWN_SECONDS.

python-telegram-bot's own stop waits for every task the bot started, a /reindex of 100,000
articles among them, and the thread that task runs in keeps the process alive after that. So
the signal first tells the indexer to stop after the batch it is writing (`index.pipeline`)
and starts a watchdog, then stops the intake: polling, or the webhook server. The updates
already taken and the running tasks then wind down, and the process exits with status 0. An
indexing job stopped this way stays on record as running, so the next start queues it again
and tells the admin who asked (`bot.telegram.jobs`); it carries on where it stopped.

Whatever still runs when the time is up (an LLM call that hangs, a page that trickles in) is
cut short: the process exits with status 1, as if killed, which the index (crash-safe, see
`index.pipeline`) and the update journal (`bot.telegram.journal`) are built for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable
from contextlib import suppress

from bot.telegram.context import NewsdeskApplication

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Shutdown:
    """What a stop signal does, once: indexing told to stop, the watchdog started, and then
    `stop_intake` called."""

    def __init__(self, application: NewsdeskApplication, stop_intake: Callable[[], object]):
        self.application = application
        self.stop_intake = stop_intake
        self.started = False

    def __call__(self) -> None:
        if self.started:
            return
        self.started = True
        services = self.application.bot_data.services
        seconds = services.settings.shutdown_seconds
        log.info(
            "stopping: no new updates; an indexing run stops after the batch it is writing; "
            "exiting within %g s (NEWSDESK_SHUTDOWN_SECONDS)",
            seconds,
        )
        services.indexer.stopping.set()
        watchdog = threading.Timer(seconds, _exit_now, args=(seconds,))
        watchdog.daemon = True
        watchdog.start()
        self.stop_intake()


def on_stop_signals(
    loop: asyncio.AbstractEventLoop,
    application: NewsdeskApplication,
    stop_intake: Callable[[], object],
) -> None:
    """SIGINT and SIGTERM start the shutdown (`Shutdown`) in `loop`."""
    shutdown = Shutdown(application, stop_intake)
    for signum in STOP_SIGNALS:
        with suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(signum, shutdown)


def _exit_now(seconds: float) -> None:
    log.error(
        "still stopping after %g s (NEWSDESK_SHUTDOWN_SECONDS): exiting now; unfinished "
        "updates and indexing jobs are taken up again after the restart",
        seconds,
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(1)
