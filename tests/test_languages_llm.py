"""Any language with an LLM (issue 29): the condense step writes the question in English for
retrieval, also for a first question; the answer prompt is told the reader's language, in
its {language} or, in a prompt published before that placeholder, in a rule of its own; the
claim check holds an answer in another language to what it can't translate (names, numbers,
links). On the wire: the real langchain-openai client against the fake OpenAI-compatible
server, through the real Telegram Application and the fake Bot API, the real Chroma store of
the seed article."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document

from bot.answering.chain import ANSWER_IN, IN_ENGLISH, NO_HISTORY
from bot.answering.claims import check_answer, kept_names_in
from bot.answering.language import ENGLISH, language_named
from bot.answering.prompts import PromptError, PromptLibrary, validate
from bot.wiring.bot import BotServices, build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_llm_provider import FakeLLMProvider
from tests.support.fake_telegram import FakeBotAPI
from tests.test_llm_wire import llm_settings

SPANISH, RUSSIAN, GERMAN = language_named("es"), language_named("ru"), language_named("de")
ARABIC = language_named("ar")
PASSAGE = Document(
    page_content=(
        "Last week, al-Hashd al-Shaabi troops resumed the second phase of operations near "
        "Qairawan. Violence claimed the lives of 317 Iraqis in April, and Hadi al-Amiri, head "
        "of Badr Organization, said PMUs reached the border. See https://example.org/report."
    ),
    metadata={"id": "c1", "title": "Mosul", "source": "wire", "published": "2017-05-20"},
)

# The standalone questions the fake model writes, and its answers in the reader's language.
IN_ENGLISH_FOR = {
    "¿Quién controla Qairawan?": "Who controls Qairawan?",
    "Кто контролирует Каирван?": "Who controls Qairawan?",
}
ANSWERS = {
    "Spanish": "al-Hashd al-Shaabi [1]\nLas tropas de al-Hashd al-Shaabi liberaron Qairawan [1].",
    "Russian": "al-Hashd al-Shaabi [1]\nОтряды al-Hashd al-Shaabi освободили Qairawan [1].",
    "English": "al-Hashd al-Shaabi [1]\nAl-Hashd al-Shaabi troops freed Qairawan [1].",
}


def texts(body: dict[str, Any]) -> str:
    return "\n".join(str(message["content"]) for message in body.get("messages", []))


def fake_model(body: dict[str, Any]) -> str:
    """A condense request gets the question in English; an answer request, the answer in the
    language it was told (in {language}, or in the rule for a prompt without it)."""
    prompt = texts(body)
    if "Standalone question:" in prompt:
        asked = re.search(r"Last question: (.*)", prompt)
        question = asked.group(1).strip() if asked else ""
        return IN_ENGLISH_FOR.get(question, question)
    told = re.search(r"Answer in: (\w+)|Write the answer in (\w+), the reader's", prompt)
    language = next(filter(None, told.groups())) if told else "English"
    return ANSWERS[language]


# --- the claim check for an answer in another language ------------------------------------


@pytest.mark.parametrize(
    ("sentence", "language", "reason"),
    [
        ("Al-Hashd al-Shaabi controla Qairawan [1].", SPANISH, ""),
        ("Murieron 317 iraquíes en abril [1].", SPANISH, ""),
        ("Murieron 500 iraquíes en abril [1].", SPANISH, "states 500, which [1] does not"),
        ("El grupo Wagner controla Qairawan [1].", SPANISH, "names Wagner, which [1] does not"),
        ("Lo controla el Estado Islámico [1].", SPANISH, "names Estado, which [1] does not"),
        ("Más en https://evil.example/x [1].", SPANISH, "links to https://evil.example/x"),
        ("Más en https://example.org/report [1].", SPANISH, ""),
        ("Al-Hashd al-Shaabi controla Qairawan.", SPANISH, "cites no passage"),
        ("Каирван контролирует al-Hashd al-Shaabi [1].", RUSSIAN, ""),
        ("Город контролируют ополченцы [1].", RUSSIAN, ""),
        ("Каирван контролирует Wagner [1].", RUSSIAN, "names Wagner, which [1] does not"),
        ("В апреле погибли 317 иракцев [1].", RUSSIAN, ""),
        ("قتل ٣١٧ عراقيا في أبريل [1].", ARABIC, ""),
        ("قتل ٥٠٠ عراقي في أبريل [1].", ARABIC, "states 500, which [1] does not"),
        ("Hadi al-Amiri führt die Organisation [1].", GERMAN, ""),
        ("Die Truppen erreichten die Grenze, sagt Hadi al-Bakri [1].", GERMAN, "names al-Bakri"),
        ("Die PMU erreichten die Grenze [1].", GERMAN, ""),
        ("Die PKK erreichten die Grenze [1].", GERMAN, "names PKK, which [1] does not"),
    ],
)
def test_an_answer_in_another_language_is_checked_by_names_numbers_and_links(
    sentence: str, language: Any, reason: str
) -> None:
    (check,) = check_answer(sentence, [PASSAGE], language)
    assert check.supported == (not reason), check
    assert check.reason.startswith(reason)


def test_the_english_check_would_drop_every_sentence_of_a_right_answer_in_russian() -> None:
    sentence = "Каирван контролирует al-Hashd al-Shaabi [1]."
    assert not check_answer(sentence, [PASSAGE], ENGLISH)[0].supported
    assert check_answer(sentence, [PASSAGE], RUSSIAN)[0].supported


@pytest.mark.parametrize(
    ("sentence", "language", "names"),
    [
        ("", SPANISH, []),
        ("🙂🙂 [1]", RUSSIAN, []),
        ("Según Qairawan's [1] https://x.org/A", SPANISH, ["Qairawan"]),  # not the link
        ("Según el informe, Qairawan's [1]", SPANISH, ["Qairawan"]),
        ("Отряды al-Hashd и PMU [1]", RUSSIAN, ["al-Hashd", "PMU"]),
        ("Die Milizen von al-Hashd und PMU [1]", GERMAN, ["al-Hashd", "PMU"]),
    ],
)
def test_the_names_an_answer_in_another_language_keeps(
    sentence: str, language: Any, names: list[str]
) -> None:
    assert kept_names_in(sentence, language) == names


# --- the prompts ---------------------------------------------------------------------------


def test_language_is_an_optional_placeholder_of_the_answer_prompt_alone(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[1] / "prompts" / "answer.txt").read_text()
    assert "{language}" in shipped and validate("answer", shipped)
    older = shipped.replace("Answer in: {language}\n", "")
    assert "{language}" not in older and validate("answer", older)
    with pytest.raises(PromptError, match=r"unknown placeholder \{lang\} \(allowed: \{language\}"):
        validate("answer", shipped.replace("{language}", "{lang}"))
    with pytest.raises(PromptError, match=r"unknown placeholder \{language\}"):
        validate("condense", "Rewrite {history} {question} in {language}")
    library = PromptLibrary(tmp_path)
    with pytest.raises(PromptError):
        library.publish("help", "{articles} {latest} {language}", "ann")


# --- on the wire ---------------------------------------------------------------------------


@pytest.fixture
def provider() -> Iterator[FakeLLMProvider]:
    server = FakeLLMProvider().start()
    server.reply_for = fake_model
    yield server
    server.stop()


@pytest.fixture
def services(
    provider: FakeLLMProvider,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> BotServices:
    settings = make_settings(tmp_path, **llm_settings(provider))
    return build_bot(settings, store=seed_store, embeddings=embeddings)


@pytest.fixture
def bot(services: BotServices, provider: FakeLLMProvider, tmp_path: Path) -> Iterator[FakeBotAPI]:
    runner = BotRunner()
    llm = llm_settings(provider)
    yield runner.start(lambda **values: make_settings(tmp_path, **llm, **values), services)
    runner.stop_all()


def ask(bot: FakeBotAPI, question: str, chat: int) -> list[str]:
    bot.push_message(question, chat_id=chat, user_id=chat)
    bot.wait_for(lambda: len(bot.delivered(chat)) >= 2, timeout=90)  # the preface, the answer
    return bot.delivered(chat)


@pytest.mark.parametrize(
    ("question", "language", "said"),
    [
        ("¿Quién controla Qairawan?", "Spanish", "Las tropas de al-Hashd al-Shaabi liberaron"),
        ("Кто контролирует Каирван?", "Russian", "Отряды al-Hashd al-Shaabi освободили"),
    ],
)
def test_a_question_reaches_retrieval_in_english_and_is_answered_in_its_language(
    bot: FakeBotAPI, provider: FakeLLMProvider, question: str, language: str, said: str
) -> None:
    preface, answer = ask(bot, question, chat=800 + len(language))
    assert preface == "(Understood as: Who controls Qairawan?)"
    assert said in answer and "al-Hashd al-Shaabi" in answer
    assert "don't cover" not in answer
    condense, answering = provider.bodies
    condensed = texts(condense)
    assert f"Last question: {question}" in condensed and NO_HISTORY in condensed
    assert condense["messages"][0]["role"] == "system"
    assert IN_ENGLISH in condense["messages"][0]["content"]  # said in code too
    assert "Write it in English" in condense["messages"][0]["content"]  # and in the prompt
    assert answering.get("stream"), "a private chat streams the answer"
    system, human = answering["messages"]
    assert "Rules:" in system["content"] and "Qairawan" not in system["content"]
    assert "Question: Who controls Qairawan?" in human["content"]  # retrieval's question
    assert question not in human["content"]
    assert f"Answer in: {language}" in human["content"]
    assert "[1] " in human["content"] and "Qairawan" in human["content"]  # what retrieval found


def test_an_english_first_question_is_not_condensed_and_is_told_english(
    services: BotServices, provider: FakeLLMProvider
) -> None:
    answer = services.service.answer("who controls Qairawan?")
    assert answer.language == "en" and answer.understood_as == ""
    (answering,) = provider.bodies  # no condense request
    assert "Answer in: English" in texts(answering)
    assert answer.answer == "Al-Hashd al-Shaabi troops freed Qairawan [1]."


def test_an_answer_prompt_published_before_language_is_told_it_in_a_rule_of_its_own(
    services: BotServices, provider: FakeLLMProvider
) -> None:
    prompts = services.service.prompts
    language_rule = re.compile(r"- Write the answer in.*?language\.\n", re.S)
    older = language_rule.sub("", prompts.template("answer"))
    older = older.replace("Answer in: {language}\n", "")
    assert "language" not in older  # the shipped prompt before issue 29
    prompts.publish("answer", older, "an editor, before issue 29")
    try:
        answer = services.service.answer("Кто контролирует Каирван?")
        english = services.service.answer("who controls Qairawan?")
    finally:
        prompts.rollback("answer", "test")
    assert answer.language == "ru" and not answer.unsupported
    assert answer.answer == "Отряды al-Hashd al-Shaabi освободили Qairawan [1]."
    assert answer.short_answer == "al-Hashd al-Shaabi"
    russian_request, english_request = provider.bodies[1], provider.bodies[2]
    rule = ANSWER_IN.format(language="Russian")
    assert rule in russian_request["messages"][0]["content"]
    assert "Answer in:" not in texts(russian_request)
    assert "Write the answer in" not in texts(english_request)
    assert english.answer == "Al-Hashd al-Shaabi troops freed Qairawan [1]."


def test_a_translated_name_in_the_answer_is_dropped_and_flagged(
    services: BotServices, provider: FakeLLMProvider
) -> None:
    provider.reply_for = lambda body: (
        "Who controls Qairawan?"
        if "Standalone question:" in texts(body)
        else "al-Hashd al-Shaabi [1]\nLo controla al-Hashd al-Shaabi [1]. "
        "Antes lo tenía el Estado Islámico [1]."
    )
    answer = services.service.answer("¿Quién controla Qairawan?")
    assert answer.answer == "Lo controla al-Hashd al-Shaabi [1]." and answer.unsupported
    assert [check.reason for check in answer.checks if not check.supported] == [
        "names Estado, which [1] does not"
    ]
