"""Access: allowlists, the per-user rate limit, and Telegram's own flood limit (429) honoured.
Real Application, fake Bot API server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.telegram.access import NOT_ALLOWED
from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI

ALLOWED = 500
STRANGER = 600
GROUP = -100
StartBot = Callable[..., FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path, seed_bot: BotServices) -> Iterator[StartBot]:
    runner = BotRunner()
    yield lambda **settings: runner.start(
        lambda **telegram: make_settings(tmp_path, **settings, **telegram), seed_bot
    )
    runner.stop_all()


def texts(fake: FakeBotAPI, chat_id: int, count: int) -> list[str]:
    fake.wait_for(lambda: len(fake.sent(chat_id=chat_id)) >= count)
    return [str(params["text"]) for params in fake.sent(chat_id=chat_id)]


def test_people_not_on_the_allowlist_get_one_polite_message_and_no_answer(
    start_bot: StartBot,
) -> None:
    fake = start_bot(NEWSDESK_ALLOWED_USER_IDS=str(ALLOWED))
    for text in ["who controls Qairawan?", "/start", "hello?", "/help", "please", "/ask why"]:
        fake.push_message(text, chat_id=STRANGER, user_id=STRANGER)
    fake.push_message("who controls Qairawan?", chat_id=ALLOWED, user_id=ALLOWED)
    assert "al-Hashd al-Shaabi" in texts(fake, ALLOWED, 1)[0]
    # Six messages, one refusal (the README promises one), then silence.
    assert texts(fake, STRANGER, 1) == [NOT_ALLOWED]
    time.sleep(1.0)
    assert len(fake.sent(chat_id=STRANGER)) == 1
    # Nothing of the stranger's reached the answering path: no typing action for them.
    assert not fake.sent("sendChatAction", chat_id=STRANGER)


def test_chat_allowlist_serves_a_group_and_stays_quiet_elsewhere(start_bot: StartBot) -> None:
    fake = start_bot(NEWSDESK_ALLOWED_CHAT_IDS=str(GROUP))
    fake.push_message(
        "/ask who controls Qairawan?", chat_id=GROUP, chat_type="group", user_id=STRANGER
    )
    fake.push_message("chatting among ourselves", chat_id=-200, chat_type="group", user_id=STRANGER)
    fake.push_message(
        "/ask who controls Qairawan?", chat_id=-200, chat_type="group", user_id=STRANGER
    )
    assert "al-Hashd al-Shaabi" in texts(fake, GROUP, 1)[0]
    assert texts(fake, -200, 1) == [NOT_ALLOWED]
    time.sleep(1.0)
    assert len(fake.sent(chat_id=-200)) == 1  # the unaddressed group chatter got no reply


def test_the_question_over_the_rate_limit_is_told_when_to_try_again(start_bot: StartBot) -> None:
    fake = start_bot(NEWSDESK_RATE_LIMIT_PER_MINUTE="2")
    for _ in range(3):
        fake.push_message("who controls Qairawan?")
    replies = texts(fake, 111, 3)
    assert sum("al-Hashd al-Shaabi" in reply for reply in replies) == 2
    (limited,) = [reply for reply in replies if "al-Hashd" not in reply]
    assert "2 questions in the last minute" in limited and "try again in" in limited


def test_a_429_from_telegram_is_retried_after_the_time_it_asks(start_bot: StartBot) -> None:
    fake = start_bot()
    fake.flood["sendMessage"] = 1
    fake.push_message("who controls Qairawan?")
    fake.wait_for(lambda: len(fake.sent()) >= 2)
    first, retried = [t for name, t in _timed(fake) if name == "sendMessage"][:2]
    assert retried - first >= 0.9  # waited the second Telegram asked for
    assert "al-Hashd al-Shaabi" in str(fake.sent()[1]["text"])


def _timed(fake: FakeBotAPI) -> list[tuple[str, float]]:
    return [(name, float(params.get("_received", 0))) for name, params in fake.calls]
