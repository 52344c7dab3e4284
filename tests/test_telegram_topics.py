"""Forum topics and group members (issue 29): an answer goes to the topic its question came
from, memory is kept per topic and, in a group, per person; a reply to one of the bot's answers
continues that answer's question, whoever replies. Real Application, fake Bot API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import BOT_USER, FakeBotAPI, as_held

StartBot = Callable[[BotServices], FakeBotAPI]
FORUM = -1001
GROUP = -100
ANN, BOB = 111, 222
MENTION = "@newsdesk_test_bot"


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    runner = BotRunner()
    yield lambda parts: runner.start(lambda **values: make_settings(tmp_path, **values), parts)
    runner.stop_all()


def ask(
    fake: FakeBotAPI,
    text: str,
    *,
    chat_id: int,
    user_id: int = ANN,
    topic: int | None = None,
    reply_to: dict[str, Any] | None = None,
) -> None:
    """A question addressed to the bot by mention (or by replying to it), as a member sends it."""
    extra: dict[str, Any] = {}
    chat_type = "supergroup" if topic is not None else "group"
    if topic is not None:
        extra = {
            "message_thread_id": topic,
            "is_topic_message": True,
            "chat": {"id": chat_id, "type": chat_type, "title": "Newsroom", "is_forum": True},
        }
    entities = None
    if reply_to is None:
        text = f"{MENTION} {text}"
        entities = [{"type": "mention", "offset": 0, "length": len(MENTION)}]
    fake.push_message(text, chat_id=chat_id, chat_type=chat_type, user_id=user_id,
                      entities=entities, reply_to=reply_to, extra=extra)  # fmt: skip


def answers(fake: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    """The answers sent (the messages carrying buttons), in order."""
    return [p for p in fake.sent(chat_id=chat_id) if p.get("reply_markup")]


def wait_for_answers(fake: FakeBotAPI, chat_id: int, count: int) -> list[dict[str, Any]]:
    fake.wait_for(lambda: len(answers(fake, chat_id)) >= count)
    return answers(fake, chat_id)


def prefaces(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in fake.sent(chat_id=chat_id) if "Understood as" in p["text"]]


def test_answers_go_to_their_topic_and_each_topic_has_its_own_memory(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    ask(fake, "who controls Qairawan?", chat_id=FORUM, topic=7)
    first = wait_for_answers(fake, FORUM, 1)[0]
    assert str(first["message_thread_id"]) == "7"
    assert "al-Hashd al-Shaabi" in first["text"]
    typing = fake.sent("sendChatAction", chat_id=FORUM)
    assert typing and all(str(p.get("message_thread_id")) == "7" for p in typing)

    ask(fake, "and who leads them?", chat_id=FORUM, topic=9)
    second = wait_for_answers(fake, FORUM, 2)[1]
    assert str(second["message_thread_id"]) == "9"
    assert prefaces(fake, FORUM) == [], "topic 9 did not follow topic 7's question"

    ask(fake, "and who leads them?", chat_id=FORUM, topic=7)
    third = wait_for_answers(fake, FORUM, 3)[2]
    assert str(third["message_thread_id"]) == "7"
    (preface,) = prefaces(fake, FORUM)
    assert "al-Hashd al-Shaabi" in preface
    assert "Hadi al-Amiri" in third["text"]


def test_in_a_group_each_member_has_a_memory_and_a_reply_continues_the_answer(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    ask(fake, "who controls Qairawan?", chat_id=GROUP, user_id=ANN)
    anns = wait_for_answers(fake, GROUP, 1)[0]
    assert "message_thread_id" not in anns or not anns["message_thread_id"]

    ask(fake, "and who leads them?", chat_id=GROUP, user_id=BOB)
    wait_for_answers(fake, GROUP, 2)
    assert prefaces(fake, GROUP) == [], "Bob's question did not follow Ann's"

    # Bob replies to the answer Ann got: the follow-up continues her question.
    held = as_held(anns) | {"from": BOT_USER}
    ask(fake, "and who leads them?", chat_id=GROUP, user_id=BOB, reply_to=held)
    third = wait_for_answers(fake, GROUP, 3)[2]
    (preface,) = prefaces(fake, GROUP)
    assert "al-Hashd al-Shaabi" in preface
    assert "Hadi al-Amiri" in third["text"]


def test_a_reply_to_a_message_that_is_no_answer_falls_back_to_the_askers_memory(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    ask(fake, "who controls Qairawan?", chat_id=GROUP, user_id=ANN)
    wait_for_answers(fake, GROUP, 1)
    # Buttons that aren't ours, or an answer id the log doesn't hold: nothing to continue.
    for data in ("x:1:1", "v:7fffffffffffffff:1"):
        markup = {"inline_keyboard": [[{"text": "1", "callback_data": data}]]}
        forged = {"message_id": 5, "date": 0, "chat": {"id": GROUP, "type": "group"},
                  "from": BOT_USER, "text": "an answer", "reply_markup": markup}  # fmt: skip
        ask(fake, "and who leads them?", chat_id=GROUP, user_id=BOB, reply_to=forged)
    wait_for_answers(fake, GROUP, 3)
    # Bob's second question may follow his first, never Ann's.
    assert not any("Qairawan" in p or "Shaabi" in p for p in prefaces(fake, GROUP))
