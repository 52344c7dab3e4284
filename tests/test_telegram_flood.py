"""One member flooding a group can't silence it: the slow-down reply goes out at most once a
minute per person, and button presses count against the same limit as questions, refused
with an alert rather than a message. Real Application, the fake Bot API holding the bot to
Telegram's 20 messages a minute per group."""

from __future__ import annotations

import time
from pathlib import Path

from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import as_held, button_data

FLOODER, MEMBER, GROUP = 601, 602, -700
SLOW_DOWN = "in the last minute"


def test_a_flood_in_a_group_leaves_another_member_answered_within_10_s(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    """60 mentions made another member wait 239 s, 40 source-button presses 71 s: every
    over-limit message got a slow-down reply, queued behind the group's 20 a minute."""
    runner = BotRunner()
    fake = runner.start(lambda **values: make_settings(tmp_path, **values), seed_bot)
    try:
        first = fake.push_mention("who controls Qairawan?", chat_id=GROUP, user_id=FLOODER)
        fake.wait_for(lambda: bool(fake.replies_to(first)))
        answer = as_held(fake.replies_to(first)[0])
        keys = button_data(answer)
        for n in range(59):
            fake.push_mention(f"who controls Qairawan? ({n})", chat_id=GROUP, user_id=FLOODER)
        for n in range(40):
            fake.push_callback(keys[n % len(keys)], answer, user_id=FLOODER)
        asked_at = time.monotonic()
        question = fake.push_mention(
            "who leads the Badr Organization?", chat_id=GROUP, user_id=MEMBER
        )
        fake.wait_for(lambda: bool(fake.replies_to(question)), timeout=300)
        waited = float(fake.replies_to(question)[0]["_received"]) - asked_at
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
