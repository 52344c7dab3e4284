"""Questions in another language without an LLM (issue 29): answered through their names when
a relevant passage holds one, else told, in their language where a translation ships, that the
articles are read in English and an LLM adds other languages; never the "don't cover" refusal.
The real model, the real Chroma store of the seed article, through the service, the CLI
(ask and chat) and the real Telegram Application against the fake Bot API."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.answering.language import detect_language
from bot.answering.language_offline import (
    NAMES_NOTE,
    OFFLINE_REPLY,
    as_retrieved_offline,
    names_found,
)
from bot.answering.service import AnswerService, QuestionError
from bot.cli.main import main
from bot.telemetry import refusal_reason
from bot.wiring.bot import BotServices
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner

DONT_COVER = "don't cover"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("¿Quién controla Qairawan?", "es"),
        ("Кто контролирует Qairawan?", "ru"),  # the name in Latin letters, the rest Cyrillic
        ("من يسيطر على Qairawan؟", "ar"),
        ("Wer kontrolliert Qairawan?", "de"),
    ],
)
def test_a_question_whose_name_the_articles_hold_is_answered_with_the_note(
    seed_service: AnswerService, question: str, language: str
) -> None:
    answer = seed_service.answer(question)
    assert not answer.refused, answer
    assert answer.short_answer == "al-Hashd al-Shaabi"
    assert answer.language == language
    assert answer.note == NAMES_NOTE[language]
    assert answer.understood_as == "who Qairawan?"
    assert answer.question == question


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Кто контролирует Каирван?", "ru"),  # no name in the articles' spelling
        ("¿Cuántos iraquíes murieron en abril?", "es"),  # no name at all
        ("من يسيطر على القيروان؟", "ar"),
        ("Qui a gagné les élections ?", "fr"),
    ],
)
def test_a_question_the_names_cannot_answer_gets_the_reply_in_its_language(
    seed_service: AnswerService, question: str, language: str
) -> None:
    answer = seed_service.answer(question)
    assert answer.refused
    assert answer.answer == OFFLINE_REPLY[language]
    assert "NEWSDESK_LLM" in answer.answer and DONT_COVER not in answer.answer
    assert answer.language == language and answer.understood_as == "" and answer.note == ""
    assert refusal_reason(answer) == "other_language"  # the metric tells an operator


def test_a_language_without_a_shipped_translation_gets_the_english_reply(
    seed_service: AnswerService,
) -> None:
    answer = seed_service.answer("Chi ha vinto le elezioni in Italia?")
    assert answer.language == "it"
    assert answer.refused and answer.answer == OFFLINE_REPLY["en"]
    assert "read the articles in English" in answer.answer


def test_a_name_the_passage_lacks_is_not_answered(seed_service: AnswerService) -> None:
    """A relevant-looking passage that holds none of the question's names is no answer."""
    answer = seed_service.answer("¿Quién controla Kandahar?")
    assert answer.refused and answer.answer == OFFLINE_REPLY["es"]


@pytest.mark.parametrize(
    "question", ["Who is Hadi al-Amiri?", "who controls Qairawan?", "Baaj?", "🙂🙂", "PMU?"]
)
def test_english_and_name_only_questions_are_answered_as_before(
    seed_service: AnswerService, question: str
) -> None:
    answer = seed_service.answer(question)
    assert answer.language == "en" and answer.note == ""
    assert all(reply not in answer.answer for reply in OFFLINE_REPLY.values())


def test_a_very_long_question_in_another_language_gets_its_reply(
    seed_service: AnswerService,
) -> None:
    question = "¿Qué pasó con las tropas en la ciudad vieja? " * 40
    answer = seed_service.answer(question[:990])  # the limit is 1,000 characters
    assert answer.language == "es"
    assert answer.refused and answer.answer == OFFLINE_REPLY["es"]
    with pytest.raises(QuestionError, match="keep it under"):
        seed_service.answer(question)  # past the limit: the usual message, not a language


def test_a_follow_up_in_another_language_is_never_the_refusal(
    seed_service: AnswerService,
) -> None:
    """Offline, a pronoun in Spanish ("los") is not read as the last answer (the heuristic
    reads English pronouns): the reader is told so in Spanish, not that nothing is covered."""
    first = seed_service.answer("who controls Qairawan?")
    history = [(first.standalone, first.as_shown)]
    for follow_up in ("¿Y quién los dirige?", "¿Y quién dirige Badr?"):
        answer = seed_service.answer(follow_up, history=history)
        assert answer.language == "es" and DONT_COVER not in answer.answer
        assert answer.note == NAMES_NOTE["es"] or answer.answer == OFFLINE_REPLY["es"]


@pytest.mark.parametrize(
    ("question", "language", "retrieved"),
    [
        ("¿Quién controla Qairawan?", "es", "who Qairawan?"),
        ("¿Cuántos soldados murieron en Diyala?", "es", "how many Diyala?"),
        ("Wie viele Iraker wurden im April getötet?", "de", "how many Iraker April?"),
        ("ما هو الحشد الشعبي؟", "ar", "what هو الحشد الشعبي?"),
        ("Кто?", "ru", "who?"),
        ("Noticias sobre Siria", "es", "Siria?"),
        ("¿¿??", "es", "??"),
        ("Qu'est-ce que le Hachd al-Chaabi ?", "fr", "what Hachd al-Chaabi?"),
        ("¿Y quién dirige Badr?", "es", "and who Badr?"),
        ("ومن يقود بدر؟", "ar", "and who يقود بدر?"),
        ("А кто ими руководит?", "ru", "and who ими руководит?"),
    ],
)
def test_the_question_word_in_english_then_the_names(
    question: str, language: str, retrieved: str
) -> None:
    assert as_retrieved_offline(question, detect_language_of(language)) == retrieved


def detect_language_of(code: str):  # type: ignore[no-untyped-def]
    from bot.answering.language import language_named

    return language_named(code)


def test_names_found_matches_whole_names_case_aside() -> None:
    assert names_found("¿Quién controla Qairawan?", "the liberation of QAIRAWAN.")
    assert not names_found("¿Quién controla Qairawan?", "Qairawanis")
    assert not names_found("¿Quién controla la ciudad?", "la ciudad")
    assert detect_language("¿Quién controla Qairawan?").code == "es"


def test_newsdesk_ask_and_chat_say_the_same(
    seed_home: Path,
    seed_store: ArticleStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(seed_home)
    monkeypatch.setenv("NEWSDESK_HOME", str(seed_home))
    assert main(["ask", "¿Quién controla Qairawan?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(NAMES_NOTE["es"]) and "al-Hashd al-Shaabi" in out
    assert main(["ask", "--json", "Кто контролирует Каирван?"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["answer"] == OFFLINE_REPLY["ru"] and shown["language"] == "ru"
    chat = io.StringIO("Кто контролирует Каирван?\n¿Quién controla Qairawan?\n")
    assert main(["chat"], stdin=chat) == 0
    out = capsys.readouterr().out
    assert OFFLINE_REPLY["ru"] in out and NAMES_NOTE["es"] in out and DONT_COVER not in out


def test_telegram_replies_in_the_reader_s_language(tmp_path: Path, seed_bot: BotServices) -> None:
    runner = BotRunner()
    try:
        fake = runner.start(lambda **values: make_settings(tmp_path, **values), seed_bot)
        fake.push_message("Кто контролирует Каирван?", chat_id=701, user_id=701)
        fake.wait_for(lambda: len(fake.delivered(701)) >= 1)
        fake.push_message("من يسيطر على Qairawan؟", chat_id=702, user_id=702)
        fake.wait_for(lambda: len(fake.delivered(702)) >= 2)
        russian, arabic = fake.delivered(701), fake.delivered(702)
    finally:
        runner.stop_all()
    assert russian == [OFFLINE_REPLY["ru"]]
    note, answer = arabic[0], arabic[1]
    assert note.startswith(NAMES_NOTE["ar"]) and "(Understood as: who Qairawan?)" in note
    assert "al-Hashd al-Shaabi" in answer and DONT_COVER not in "".join(arabic)
