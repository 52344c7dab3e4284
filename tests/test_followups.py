"""Follow-ups: the heuristic without an LLM, the condense prompt with one (a fake that records
what it was asked), and the Telegram chat memory with /reset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering.conversation import Conversation, ConversationKey, MemoryInProcess
from bot.answering.followups import heuristic_rewrite, last_short_answer, looks_like_follow_up
from bot.answering.service import AnswerService
from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fakes import RecordingChatModel
from tests.support.followup_cases import FOLLOW_UPS


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and who leads them?", True),
        ("What about the airport?", True),
        ("who leads them?", True),
        ("when did it start?", True),
        ("who controls Qairawan?", False),
        ("who leads the PMU in Tal Afar?", False),
        ("What is the population of Baghdad?", False),
    ],
)
def test_follow_up_heuristic(question: str, follow_up: bool) -> None:
    assert looks_like_follow_up(question) is follow_up


def test_without_an_llm_a_follow_up_is_asked_with_the_previous_question() -> None:
    history = [("who controls Qairawan?", "The PMU. [1]")]  # an answer with no short answer
    assert heuristic_rewrite("and who leads them?", []) == "and who leads them?"  # nothing before
    assert heuristic_rewrite("and who leads them?", history) == (
        "who controls Qairawan? and who leads them?"
    )
    assert heuristic_rewrite("who holds Tal Afar?", history) == "who holds Tal Afar?"


def test_without_an_llm_a_pronoun_is_read_as_the_last_short_answer() -> None:
    shown = "al-Hashd al-Shaabi\nLast week, al-Hashd al-Shaabi troops resumed ... [1]"
    history = [("who controls Qairawan?", shown)]
    assert heuristic_rewrite("and who leads them?", history) == "who leads al-Hashd al-Shaabi?"
    assert heuristic_rewrite("what is their strength?", history) == (
        "what is al-Hashd al-Shaabi's strength?"
    )
    assert heuristic_rewrite("What about there?", history) == "What about al-Hashd al-Shaabi?"
    # No pronoun to read: asked after the previous question, as before.
    assert heuristic_rewrite("and the airport?", history) == (
        "who controls Qairawan? and the airport?"
    )
    # The last answer was a refusal, or a long first line: no short answer.
    assert last_short_answer("The articles I have don't cover that question.") == ""
    assert last_short_answer(("word " * 40) + "\nmore [1]") == ""


# Known to fail, and shown to: a lowercase answer is no candidate of the reader's.
NO_CANDIDATE = "who recognizes them as a national force?"


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        pytest.param(
            *case,
            marks=pytest.mark.xfail(
                strict=True, reason="the reader reads no lowercase answer ('the government')"
            ),
        )
        if case[1] == NO_CANDIDATE
        else case
        for case in FOLLOW_UPS
    ],
)
def test_chat_style_follow_ups_on_the_seed_are_answered_offline(
    seed_service: AnswerService, first: str, follow_up: str, expected: str
) -> None:
    """Through the Conversation, as the local chat and Telegram ask: the memory keeps the
    answer as shown, short answer first, and the follow-up reads its pronoun as that."""
    conversation = Conversation(seed_service, MemoryInProcess())
    key = ConversationKey(chat=1)
    conversation.ask(key, first)
    answer = conversation.ask(key, follow_up).answer
    assert expected.lower() in f"{answer.short_answer} {answer.answer}".lower(), (
        answer.standalone,
        answer.answer,
    )
    assert not answer.refused


def test_with_an_llm_the_condense_prompt_is_the_chains_condense_step(seed_bot: BotServices) -> None:
    model = RecordingChatModel(
        responses=["Who leads the PMU, which controls Qairawan?\nextra", "NO_ANSWER"]
    )
    service = seed_bot.service
    service = AnswerService(service.store, replace(service.setup, chat_model=model))
    history = [("who controls Qairawan?", "The PMU\nThe PMU controls Qairawan. [1]")]
    answer = service.answer("and who leads them?", history=history)
    assert answer.understood_as == "Who leads the PMU, which controls Qairawan?"
    assert answer.question == "and who leads them?"
    condense_prompt = model.prompts[0]
    assert "Reader: who controls Qairawan?" in condense_prompt
    assert "Bot: The PMU\nThe PMU controls" in condense_prompt, "it sees the last short answer"
    assert "Last question: and who leads them?" in condense_prompt
    assert "Question: Who leads the PMU, which controls Qairawan?" in model.prompts[1]


@pytest.fixture
def bot(tmp_path: Path, seed_bot: BotServices) -> Iterator[FakeBotAPI]:
    runner = BotRunner()
    yield runner.start(lambda **telegram: make_settings(tmp_path, **telegram), seed_bot)
    runner.stop_all()


def test_a_follow_up_in_telegram_is_understood_and_reset_forgets(bot: FakeBotAPI) -> None:
    def replies(count: int) -> list[str]:
        bot.wait_for(lambda: len(bot.sent()) >= count)
        return [str(params["text"]) for params in bot.sent()]

    bot.push_message("who controls Qairawan?")
    replies(1)
    bot.push_message("and who leads them?")
    understood, answer = replies(3)[1:3]
    assert understood == "(Understood as: who leads al-Hashd al-Shaabi?)"
    assert "Hadi al-Amiri" in answer and "[1]" in answer
    bot.push_message("/reset")
    assert "forgotten" in replies(4)[3]
    bot.push_message("and who leads them?")
    assert "Understood as" not in replies(5)[4]


def test_a_misspelled_name_in_telegram_is_understood_as_the_article_spells_it(
    bot: FakeBotAPI,
) -> None:
    bot.push_message("who controls Qairwan?")
    bot.wait_for(lambda: len(bot.sent()) >= 2)
    understood, answer = (str(params["text"]) for params in bot.sent()[:2])
    assert understood == "(Understood as: who controls Qairawan?)"
    assert "Qairawan" in answer and "[1]" in answer
    bot.push_message("who controls Zorblaxia?")
    bot.wait_for(lambda: len(bot.sent()) >= 3)
    assert "Understood as" not in str(bot.sent()[2]["text"]), "a made-up word is left alone"
