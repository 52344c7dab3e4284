"""The getUpdates request as the bot stops: the last call, which marks updates read, must not
keep the bot from stopping, whether its one connection is stuck or Telegram is down. Through
python-telegram-bot's real `Bot` against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Bot

from bot.telegram.network import MARKING_ATTEMPTS, TelegramUnavailable, polling_request
from tests.support.bot_runner import TOKEN
from tests.support.fake_telegram import FakeBotAPI


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(TOKEN).start()
    yield api
    api.stop()


def polling_bot(fake: FakeBotAPI, seen: list[dict[str, Any]]) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url, get_updates_request=polling_request(30, seen.extend))


def failed_get_updates(fake: FakeBotAPI) -> int:
    return sum(1 for method, _, _ in fake.injected if method == "getUpdates")


def test_marking_updates_read_gets_a_new_connection_when_a_long_poll_holds_the_only_one(
    fake: FakeBotAPI,
) -> None:
    """A long poll that never comes back holds the pool's one connection (as one cancelled at
    the wrong moment can): the call that marks updates read as the bot stops still goes
    through, on a new connection, instead of waiting for the pool forever."""
    fake.timeout_fault_seconds = 20.0
    fake.fail("getUpdates", "timeout")  # the long poll gets no answer for 20 s
    fake.push_message("who controls Qairawan?")
    seen: list[dict[str, Any]] = []

    async def stopping() -> list[Any]:
        bot = polling_bot(fake, seen)
        await bot.initialize()
        polling = asyncio.create_task(bot.get_updates(timeout=1))
        await asyncio.sleep(0.5)  # the long poll has the connection
        try:
            return list(await asyncio.wait_for(bot.get_updates(timeout=0), timeout=15))
        finally:
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            await bot.shutdown()

    updates = asyncio.run(stopping())
    assert [update.message.text for update in updates if update.message] == [
        "who controls Qairawan?"
    ]
    assert seen and seen[0]["message"]["text"] == "who controls Qairawan?"


def test_marking_updates_read_gives_up_when_telegram_is_down(fake: FakeBotAPI) -> None:
    """Telegram answering 502 to everything: polling keeps trying (the bot runs on), but the
    last call as the bot stops gives up after MARKING_ATTEMPTS, and says why."""
    fake.fail("getUpdates", 502, times=100)

    async def stopping() -> None:
        bot = polling_bot(fake, [])
        await bot.initialize()
        try:
            await asyncio.wait_for(bot.get_updates(timeout=0), timeout=30)
        finally:
            await bot.shutdown()

    with pytest.raises(TelegramUnavailable, match="HTTP 502"):
        asyncio.run(stopping())
    assert failed_get_updates(fake) == MARKING_ATTEMPTS


def test_a_long_poll_keeps_trying_past_the_marking_attempts(fake: FakeBotAPI) -> None:
    fake.fail("getUpdates", 502, times=MARKING_ATTEMPTS + 2)
    fake.push_message("who leads them?")

    async def polling() -> list[Any]:
        bot = polling_bot(fake, [])
        await bot.initialize()
        try:
            return list(await asyncio.wait_for(bot.get_updates(timeout=1), timeout=60))
        finally:
            await bot.shutdown()

    updates = asyncio.run(polling())
    assert [update.message.text for update in updates if update.message] == ["who leads them?"]
    assert failed_get_updates(fake) == MARKING_ATTEMPTS + 2
