"""No lost questions: the bot, a real `newsdesk bot` process polling the fake Bot API, is
killed with SIGKILL after Telegram handed it a question and before it answered; started again,
it answers that question exactly once."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import TOKEN, BotRunner, start_bot_process
from tests.support.fake_telegram import FakeBotAPI

QUESTION = "who controls Qairawan?"


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def start_bot(home: Path, fake: FakeBotAPI) -> subprocess.Popen[bytes]:
    return start_bot_process(home, fake, TELEGRAM_TIMEOUT_SECONDS="30")


def replies(fake: FakeBotAPI) -> list[str]:
    return fake.delivered(chat_id=111)


def test_a_question_fetched_before_a_kill_is_answered_once_after_the_restart(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    # The typing indicator hangs (longer than the bot waits), holding the answer back.
    fake.timeout_fault_seconds = 60
    fake.fail("sendChatAction", "timeout")
    bot = start_bot(tmp_path, fake)
    try:
        fake.push_message(QUESTION)
        # The bot is answering, and its next getUpdates acknowledged the question, so
        # Telegram will not deliver it again.
        fake.wait_for(lambda: bool(fake.injected) and not fake.updates, timeout=120)
        assert replies(fake) == []
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=30)
        calls_before_restart = len(fake.calls)
        bot = start_bot(tmp_path, fake)
        fake.wait_for(lambda: bool(replies(fake)), timeout=120)
        time.sleep(2.0)  # time for a second answer, if there were one
        assert len(replies(fake)) == 1
        assert any(name == "getMe" for name, _ in fake.calls[calls_before_restart:])
    finally:
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=30)


def test_an_update_delivered_again_is_not_answered_again(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    """Telegram delivers an update again when the bot was killed before acknowledging it, by
    then maybe already answered: the journal knows it was finished."""
    runner = BotRunner()
    try:
        fake = runner.start(lambda **values: make_settings(tmp_path, **values), seed_bot)
        message = fake.push_message(QUESTION)
        fake.wait_for(lambda: bool(replies(fake)))
        fake.redeliver(message)
        fake.push_message("/start")  # answered after the redelivered one, if that is
        fake.wait_for(lambda: len(replies(fake)) >= 2)
        time.sleep(1.0)
        assert len(replies(fake)) == 2 and "who controls Qairawan?" in replies(fake)[-1]
    finally:
        runner.stop_all()
