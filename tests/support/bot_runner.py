"""Run the real Application in a thread against a FakeBotAPI, and stop it cleanly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.app import Parts, fetch_policy
from bot.settings import Settings
from bot.telegram.app import build_application, run_polling
from tests.support.fake_telegram import FakeBotAPI

TOKEN = "123456:TEST-token-that-must-never-be-logged"


class BotRunner:
    """start() brings up a fake server and a bot polling it; stop_all() ends every one."""

    def __init__(self) -> None:
        self.running: list[tuple[FakeBotAPI, Any, threading.Thread, asyncio.AbstractEventLoop]] = []

    def start(self, make_settings: Any, parts: Parts, **settings: object) -> FakeBotAPI:
        """make_settings(TELEGRAM_... values, **settings) -> Settings for the bot, which runs
        over `parts` (their store, index and service) with those settings."""
        fake = FakeBotAPI(TOKEN).start()
        configured: Settings = make_settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            TELEGRAM_BASE_FILE_URL=fake.base_file_url,
            **settings,
        )
        indexer = replace(parts.indexer, fetch_policy=fetch_policy(configured))
        application = build_application(replace(parts, settings=configured, indexer=indexer))
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
        self.running.append((fake, application, thread, loop))
        return fake

    def stop_all(self) -> None:
        for fake, application, thread, loop in self.running:
            # stop_running() does nothing until the Application is running, so ask until it
            # has been asked while running; asking again while it winds down (it stays
            # `running` until then) would stop the loop under its shutdown. A loaded machine
            # can take a while to wind down.
            deadline = time.monotonic() + 120
            asked_while_running = False
            while thread.is_alive() and time.monotonic() < deadline:
                if not asked_while_running:
                    asked_while_running = application.running
                    loop.call_soon_threadsafe(application.stop_running)
                thread.join(timeout=0.5)
            fake.stop()
            if thread.is_alive():
                raise AssertionError("the bot did not stop within 120 s")
            loop.close()


def start_bot_process(home: Path, fake: FakeBotAPI, **environment: str) -> subprocess.Popen[bytes]:
    """A real `newsdesk bot` process (python -m bot bot) over `home`, polling `fake`."""
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(home),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake.base_url,
        "NEWSDESK_FEED_POLL_MINUTES": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        **environment,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "bot"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
