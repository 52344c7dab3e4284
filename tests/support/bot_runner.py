"""Run the real Application in a thread against a FakeBotAPI, polling it or serving a webhook
it posts to, and stop it cleanly."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.telegram.app import build_application, run_polling
from bot.wiring.bot import BotServices, build_bot
from tests.support.fake_telegram import FakeBotAPI

TOKEN = "123456:TEST-token-that-must-never-be-logged"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Running:
    fake: FakeBotAPI
    application: Any
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop
    ask_to_stop: Callable[[], object]


class BotRunner:
    """start() brings up a fake server and a bot polling it, start_webhook() one serving a
    webhook the fake posts to; stop_all() ends every one."""

    def __init__(self) -> None:
        self.running: list[_Running] = []

    def _application(
        self,
        fake: FakeBotAPI,
        make_settings: Any,
        services: BotServices,
        webhook: bool,
        **settings: object,
    ) -> Any:
        configured: Settings = make_settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            TELEGRAM_BASE_FILE_URL=fake.base_file_url,
            **settings,
        )
        # Built as `newsdesk bot` builds it, for these settings, over the given services' store,
        # keyword index, model and chat model.
        services = build_bot(
            configured,
            store=services.answering.store,
            keyword=services.answering.keyword,
            embeddings=services.answering.embeddings,
            chat_model=services.service.chat_model,
        )
        return build_application(services, webhook=webhook)

    def start(self, make_settings: Any, services: BotServices, **settings: object) -> FakeBotAPI:
        """make_settings(TELEGRAM_... values, **settings) -> Settings for the bot, which runs
        over `services` (their store, index and service) with those settings."""
        fake = FakeBotAPI(TOKEN).start()
        application = self._application(fake, make_settings, services, False, **settings)
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            run_polling(
                application, poll_interval=0.0, timeout=1, stop_signals=None, close_loop=False
            )

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        fake.wait_for(lambda: any(name == "setMyCommands" for name, _ in fake.calls))
        deadline = time.monotonic() + 60
        while not application.running and time.monotonic() < deadline:
            time.sleep(0.05)
        self.running.append(
            _Running(fake, application, thread, loop, lambda: application.stop_running())
        )
        return fake

    def start_webhook(
        self,
        make_settings: Any,
        services: BotServices,
        *,
        fake: FakeBotAPI | None = None,
        **settings: object,
    ) -> FakeBotAPI:
        """The bot in webhook mode on a free port of 127.0.0.1; the fake posts updates to it
        once the bot has set its webhook. `fake`: one already running (another replica's)."""
        from bot.telegram.webhook import serve_webhook

        fake = fake or FakeBotAPI(TOKEN).start()
        port = free_port()
        settings = {
            "NEWSDESK_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "NEWSDESK_WEBHOOK_PORT": port,
            **settings,
        }
        application = self._application(fake, make_settings, services, True, **settings)
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        serving = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve_webhook(application, stop))

        calls_before = len(fake.sent("setWebhook"))
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        fake.wait_for(lambda: len(fake.sent("setWebhook")) > calls_before)
        deadline = time.monotonic() + 60
        while not serving.is_set() and time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    serving.set()
            time.sleep(0.05)
        self.running.append(
            _Running(fake, application, thread, loop, lambda: loop.call_soon_threadsafe(stop.set))
        )
        return fake

    def stop_all(self) -> None:
        for entry in self.running:
            # stop_running() does nothing until the Application is running, so ask until it
            # has been asked while running; asking again while it winds down (it stays
            # `running` until then) would stop the loop under its shutdown. A loaded machine
            # can take a while to wind down.
            deadline = time.monotonic() + 120
            asked_while_running = False
            while entry.thread.is_alive() and time.monotonic() < deadline:
                if not asked_while_running:
                    asked_while_running = entry.application.running
                    entry.loop.call_soon_threadsafe(entry.ask_to_stop)
                entry.thread.join(timeout=0.5)
            if entry.thread.is_alive():
                raise AssertionError("the bot did not stop within 120 s")
        for fake in {id(entry.fake): entry.fake for entry in self.running}.values():
            fake.stop()
        for entry in self.running:
            entry.loop.close()


def start_bot_process(
    home: Path, fake: FakeBotAPI, *, log: Path | None = None, **environment: str
) -> subprocess.Popen[bytes]:
    """A real `newsdesk bot` process (python -m bot bot) over `home`, talking to `fake`, with
    none of our NEWSDESK_/TELEGRAM_ settings but these and the session's cache of ONNX
    exports (made once, as on a user's machine); its output goes to `log` if given."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NEWSDESK_", "TELEGRAM_")) or name == "NEWSDESK_MODELS_DIR"
    }
    env = {
        **inherited,
        "NEWSDESK_HOME": str(home),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake.base_url,
        "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "NEWSDESK_FEED_POLL_MINUTES": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        **environment,
    }
    if log is None:
        return subprocess.Popen([sys.executable, "-m", "bot", "bot"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "bot"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
