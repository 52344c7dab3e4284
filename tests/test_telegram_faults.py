"""Telegram failing: every fault class on the calls of an answer, the typing indicator, and
a refusal that must not be retried. Real Application, fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FAULTS, FakeBotAPI

QUESTION = "who controls Qairawan?"
ANSWER_MARK = "al-Hashd al-Shaabi"
StartBot = Callable[..., FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path, seed_bot: BotServices) -> Iterator[StartBot]:
    runner = BotRunner()

    def start(**settings: str) -> FakeBotAPI:
        fake = runner.start(
            lambda **telegram: make_settings(
                tmp_path, TELEGRAM_TIMEOUT_SECONDS="1", **settings, **telegram
            ),
            seed_bot,
        )
        fake.timeout_fault_seconds = 1.5  # longer than the bot waits
        return fake

    yield start
    runner.stop_all()


def answers(fake: FakeBotAPI) -> list[str]:
    return [text for text in fake.delivered() if ANSWER_MARK in text]


def wait_for_answer(fake: FakeBotAPI) -> None:
    fake.wait_for(lambda: bool(answers(fake)), timeout=90)
    time.sleep(1.0)  # time for a duplicate to show up, if a retry made one


def test_the_answer_arrives_once_through_every_fault_class(start_bot: StartBot) -> None:
    fake = start_bot()
    for fault in FAULTS:
        fake.fail("sendMessage", fault)
    fake.push_message(QUESTION)
    wait_for_answer(fake)
    assert len(answers(fake)) == 1
    assert [fault for method, fault, _ in fake.injected if method == "sendMessage"] == list(FAULTS)


@pytest.mark.parametrize("fault", [500, "timeout", "drop"])
def test_a_failed_typing_indicator_does_not_cost_the_answer(
    start_bot: StartBot, fault: int | str
) -> None:
    fake = start_bot()
    fake.fail("sendChatAction", fault, times=10)
    fake.push_message(QUESTION)
    wait_for_answer(fake)
    assert len(answers(fake)) == 1
    # best effort: tried once, not retried
    assert [(method, injected) for method, injected, _ in fake.injected] == [
        ("sendChatAction", fault)
    ]


def test_a_refusal_is_not_retried_and_reaches_the_plain_text_fallback(
    start_bot: StartBot,
) -> None:
    fake = start_bot()
    fake.reject_html = True
    fake.push_message(QUESTION)
    wait_for_answer(fake)
    html_attempts = [p for p in fake.sent() if p.get("parse_mode") == "HTML"]
    assert len(html_attempts) == 1 and html_attempts[0]["_status"] == 400
    assert len(answers(fake)) == 1


def test_polling_recovers_within_seconds_after_many_failed_get_updates(
    start_bot: StartBot,
) -> None:
    fake = start_bot()
    # 7 failures in a row: python-telegram-bot's own backoff would then wait 11 s, and more
    # after each further one, up to 30 s.
    fake.fail("getUpdates", 502, times=3)
    fake.fail("getUpdates", "drop", times=2)
    fake.fail("getUpdates", 500, times=2)
    fake.wait_for(lambda: not fake.planned_faults["getUpdates"], timeout=90)
    fake.push_message(QUESTION)  # Telegram is back: the next getUpdates brings the question
    wait_for_answer(fake)
    recovered = max(at for method, _, at in fake.injected if method == "getUpdates")
    answered = min(float(p["_received"]) for p in fake.sent() if ANSWER_MARK in str(p["text"]))
    assert answered - recovered < 10
    assert len(answers(fake)) == 1
