"""One member flooding a group can't silence it: the slow-down reply goes out at most once a
minute per person, and button presses count against the same limit as questions, refused
with an alert rather than a message. Real Application, the fake Bot API holding the bot to
Telegram's 20 messages a minute per group."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import BOT_USER, FakeBotAPI

FLOODER, MEMBER, GROUP = 601, 602, -700
MENTION = f"@{BOT_USER['username']}"
SLOW_DOWN = "in the last minute"


def mention(fake: FakeBotAPI, question: str, user_id: int) -> dict[str, Any]:
    entity = {"type": "mention", "offset": 0, "length": len(MENTION)}
    return fake.push_message(f"{MENTION} {question}", chat_id=GROUP, chat_type="group",
                             user_id=user_id, entities=[entity])  # fmt: skip


def replies_to(fake: FakeBotAPI, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages the fake accepted in the group as replies to `message`."""
    return [
        params
        for params in fake.sent(chat_id=GROUP)
        if params.get("_status") == 200
        and json.loads(str(params.get("reply_parameters") or "{}")).get("message_id")
        == message["message_id"]
    ]


def as_held(params: dict[str, Any]) -> dict[str, Any]:
    """A message the bot sent, as Telegram holds it (with its keyboard) under a button press."""
    markup = json.loads(str(params["reply_markup"]))
    chat = {"id": GROUP, "type": "group"}
    return {"message_id": 9000, "date": 0, "chat": chat, "text": "", "reply_markup": markup}


def test_a_flood_in_a_group_leaves_another_member_answered_within_10_s(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    """60 mentions made another member wait 239 s, 40 source-button presses 71 s: every
    over-limit message got a slow-down reply, queued behind the group's 20 a minute."""
    runner = BotRunner()
    fake = runner.start(lambda **values: make_settings(tmp_path, **values), seed_bot)
    try:
        first = mention(fake, "who controls Qairawan?", FLOODER)
        fake.wait_for(lambda: bool(replies_to(fake, first)))
        answer = as_held(replies_to(fake, first)[0])
        keys = [
            b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row
        ]
        for n in range(59):
            mention(fake, f"who controls Qairawan? ({n})", FLOODER)
        for n in range(40):
            fake.push_callback(keys[n % len(keys)], answer, user_id=FLOODER)
        asked_at = time.monotonic()
        question = mention(fake, "who leads the Badr Organization?", MEMBER)
        fake.wait_for(lambda: bool(replies_to(fake, question)), timeout=300)
        waited = float(replies_to(fake, question)[0]["_received"]) - asked_at
        fake.wait_for(lambda: len(fake.sent("answerCallbackQuery")) >= 40)
    finally:
        runner.stop_all()
    print(f"another member answered {waited:.1f} s after asking, behind the flood")
    assert waited <= 10.0, f"{waited:.1f} s"
    texts = [str(p["text"]) for p in fake.sent(chat_id=GROUP) if p.get("_status") == 200]
    assert sum(SLOW_DOWN in text for text in texts) == 1, "one slow-down reply a minute"
    presses = fake.sent("answerCallbackQuery")
    refused = [p for p in presses if SLOW_DOWN in str(p.get("text"))]
    assert len(refused) == 40 and all(str(p["show_alert"]).lower() == "true" for p in refused)
    assert fake.group_refused == [], "the bot kept within Telegram's 20 messages a minute"
