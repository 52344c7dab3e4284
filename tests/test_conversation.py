"""The conversation turn every front end shares: memory by conversation key, the answer
recorded and the exchange remembered before the front end sends, and the preface it says."""

from __future__ import annotations

import io
from pathlib import Path

from bot.answering.conversation import Conversation, ConversationKey, MemoryInProcess
from bot.answering.service import AnswerService
from bot.cli.chat import run_chat
from bot.state.shared import open_shared_state
from bot.wiring.bot import BotServices, build_local_chat

QUESTION = "who controls Qairawan?"
FOLLOW_UP = "and who leads them?"
# Offline, "them" is read as the last short answer (followups.py).
UNDERSTOOD = "who leads al-Hashd al-Shaabi?"


def test_memory_is_kept_per_conversation_key(seed_service: AnswerService) -> None:
    conversation = Conversation(seed_service, MemoryInProcess())
    ann, bob = ConversationKey(-100, person=1), ConversationKey(-100, person=2)
    topic = ConversationKey(-100, topic=7)
    conversation.ask(ann, QUESTION)
    follow_up = conversation.ask(ann, FOLLOW_UP)
    assert follow_up.preface == f"(Understood as: {UNDERSTOOD})"
    assert follow_up.answer.short_answer == "Hadi al-Amiri", follow_up.answer
    assert conversation.ask(bob, FOLLOW_UP).preface == "", "Bob's memory is his own"
    assert conversation.ask(topic, FOLLOW_UP).preface == "", "so is a topic's"
    conversation.forget(ann)
    assert conversation.ask(ann, FOLLOW_UP).preface == ""


def test_a_turn_is_recorded_and_remembered_in_the_shared_database(
    seed_service: AnswerService, tmp_path: Path
) -> None:
    state = open_shared_state(f"sqlite:///{tmp_path / 'state.sqlite'}", tmp_path)
    conversation = Conversation(seed_service, state.memory, state.answers)
    chat = ConversationKey(111)
    turn = conversation.ask(chat, QUESTION, asker=5)
    assert turn.answer_id is not None and turn.latency_ms > 0
    recorded = state.answers.get(turn.answer_id)
    assert recorded is not None and recorded.question == QUESTION
    assert state.memory.recall(chat) == [(QUESTION, turn.answer.as_shown)]
    # Another process with the same database answers the follow-up as this one would.
    again = Conversation(
        seed_service,
        open_shared_state(
            state.database.url.render_as_string(hide_password=False), tmp_path
        ).memory,
    )
    assert again.ask(chat, FOLLOW_UP).answer.understood_as == UNDERSTOOD


def test_the_local_chat_takes_the_same_turn(seed_bot: BotServices) -> None:
    out = io.StringIO()
    lines = io.StringIO(f"{QUESTION}\n{FOLLOW_UP}\n/reset\n{FOLLOW_UP}\n")
    assert run_chat(seed_bot.answering, build_local_chat(seed_bot.answering), lines, out) == 0
    said = out.getvalue()
    assert said.count(f"(Understood as: {UNDERSTOOD})") == 1, said
    assert "forgotten" in said and said.rstrip().endswith("bye")
