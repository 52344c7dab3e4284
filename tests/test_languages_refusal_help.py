"""The refusal and /help in the reader's language (issue 29): with an LLM, a question in
Russian or Arabic that the articles don't cover is refused in its language (the shipped
refusal's translation in the bot's catalogs; English where none ships, and an operator's own
refusal as written); /help follows the client's language, and offline tells a reader in
another language that the articles are read in English. The real answer chain over the seed
article's Chroma store, the real langchain-openai client against the fake OpenAI-compatible
server, the real Application against the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answering.language_offline import OFFLINE_REPLY
from bot.telegram.help_text import VOICE_TOO, help_in
from bot.translation import ENGLISH, translations
from bot.wiring.bot import BotServices, build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import StartBot, make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_llm_provider import FakeLLMProvider
from tests.support.fake_telegram import FakeBotAPI
from tests.test_languages_llm import fake_model, texts
from tests.test_llm_wire import llm_settings

REFUSAL = (
    "The articles I have don't cover that question, so I won't guess. "
    "Try asking about something they report on."
)
RUSSIAN_REFUSAL = translations("ru").gettext(REFUSAL)
ARABIC_REFUSAL = translations("ar").gettext(REFUSAL)
# Questions the seed article (Mosul, 2017) says nothing of, and what the condense step makes
# of them in English.
UNCOVERED = {
    "Кто выиграл чемпионат мира по футболу 1930 года?": "Who won the 1930 football World Cup?",
    "من فاز بكأس العالم لكرة القدم عام 1930؟": "Who won the 1930 football World Cup?",
    "¿Quién ganó el Mundial de fútbol de 1930?": "Who won the 1930 football World Cup?",
}


def model_that_knows_nothing_of_football(body: dict[str, Any]) -> str:
    prompt = texts(body)
    if "Standalone question:" in prompt:
        for asked, english in UNCOVERED.items():
            if f"Last question: {asked}" in prompt:
                return english
    return fake_model(body)


@pytest.fixture
def provider() -> Iterator[FakeLLMProvider]:
    server = FakeLLMProvider().start()
    server.reply_for = model_that_knows_nothing_of_football
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


# --- the refusal ----------------------------------------------------------------------------


def test_the_translations_are_of_the_shipped_refusal(services: BotServices) -> None:
    assert services.service.prompts.template("refusal") == REFUSAL
    assert RUSSIAN_REFUSAL.startswith("В статьях") and ARABIC_REFUSAL.startswith("المقالات")


@pytest.mark.parametrize(
    ("question", "refusal"),
    [
        ("Кто выиграл чемпионат мира по футболу 1930 года?", RUSSIAN_REFUSAL),
        ("من فاز بكأس العالم لكرة القدم عام 1930؟", ARABIC_REFUSAL),
        ("¿Quién ganó el Mundial de fútbol de 1930?", REFUSAL),  # no Spanish catalog ships
        ("Who won the 1930 football World Cup?", REFUSAL),
    ],
)
def test_a_question_the_articles_don_t_cover_is_refused_in_its_language(
    services: BotServices, provider: FakeLLMProvider, question: str, refusal: str
) -> None:
    answer = services.service.answer(question)
    assert answer.refused and answer.answer == refusal
    assert all("Answer in:" not in texts(body) for body in provider.bodies), "no answer asked"


def test_the_llm_s_no_answer_and_an_unsupported_answer_are_refused_in_its_language(
    services: BotServices, provider: FakeLLMProvider
) -> None:
    def replies(body: dict[str, Any]) -> str:
        if "Standalone question:" in texts(body):
            return "Who controls Qairawan?"
        return "NO_ANSWER" if len(provider.bodies) <= 2 else "Qairawan is held by Wagner [1]."

    provider.reply_for = replies
    no_answer = services.service.answer("Кто контролирует Каирван?")
    unsupported = services.service.answer("Кто контролирует Каирван?")
    assert no_answer.refused and no_answer.answer == RUSSIAN_REFUSAL
    assert unsupported.refused and unsupported.unsupported
    assert unsupported.answer == RUSSIAN_REFUSAL


def test_an_operator_s_own_refusal_is_said_as_written(services: BotServices) -> None:
    prompts = services.service.prompts
    prompts.publish("refusal", "Nothing on that in our archive.", "an editor")
    try:
        answer = services.service.answer("Кто выиграл чемпионат мира по футболу 1930 года?")
    finally:
        prompts.rollback("refusal", "test")
    assert answer.refused and answer.answer == "Nothing on that in our archive."


def test_a_russian_refusal_on_the_wire(
    services: BotServices, provider: FakeLLMProvider, tmp_path: Path
) -> None:
    runner = BotRunner()
    llm = llm_settings(provider)
    fake = runner.start(lambda **values: make_settings(tmp_path, **llm, **values), services)
    try:
        fake.push_message("Кто выиграл чемпионат мира по футболу 1930 года?", chat_id=971,
                          user_id=971)  # fmt: skip
        fake.wait_for(lambda: len(fake.delivered(971)) >= 2, timeout=90)
        preface, refusal = fake.delivered(971)
    finally:
        runner.stop_all()
    assert preface == "(Understood as: Who won the 1930 football World Cup?)"
    assert refusal == RUSSIAN_REFUSAL


# --- /help ----------------------------------------------------------------------------------


def help_sent(fake: FakeBotAPI, language: str | None, chat: int) -> str:
    sender: dict[str, Any] = {"id": chat, "is_bot": False, "first_name": "Reader"}
    if language is not None:
        sender["language_code"] = language
    fake.push_message("/help", chat_id=chat, user_id=chat, extra={"from": sender})
    fake.wait_for(lambda: len(fake.delivered(chat)) >= 1)
    (text,) = fake.delivered(chat)
    return text


def test_help_follows_the_client_s_language_offline(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    russian, arabic = help_sent(fake, "ru", 981), help_sent(fake, "ar", 982)
    english, spanish = help_sent(fake, "en", 983), help_sent(fake, "es", 984)
    articles = seed_bot.service.store.overview().articles
    assert russian.startswith("Я отвечаю на вопросы по новостям (у меня ")
    assert (
        translations("ru")
        .ngettext("{count} article", "{count} articles", articles)
        .format(count=articles)
        in russian
    )
    assert "{" not in russian and "/follow" in russian
    assert russian.endswith(OFFLINE_REPLY["ru"]), "offline: the articles are read in English"
    assert arabic.startswith("أجيب عن الأسئلة") and arabic.endswith(OFFLINE_REPLY["ar"])
    assert english == seed_bot.service.help_text()  # no voice offline
    assert spanish == seed_bot.service.help_text() + "\n\n" + OFFLINE_REPLY["es"]


def test_help_with_an_llm_says_nothing_of_english_only(
    start_bot: StartBot, services: BotServices, provider: FakeLLMProvider
) -> None:
    fake = start_bot(services, **llm_settings(provider))
    russian, english = help_sent(fake, "ru", 985), help_sent(fake, None, 986)
    assert russian.startswith("Я отвечаю на вопросы по новостям")
    assert OFFLINE_REPLY["ru"] not in russian
    assert russian.endswith(translations("ru").gettext(VOICE_TOO)), "voice is transcribed"
    assert english == services.service.help_text() + "\n\n" + VOICE_TOO


def test_an_operator_s_own_help_is_shown_as_written(services: BotServices) -> None:
    prompts = services.service.prompts
    prompts.publish("help", "Ask me about {articles} (newest {latest}).", "an editor")
    try:
        text = help_in(services.service, translations("ru"), "ru")
    finally:
        prompts.rollback("help", "test")
    assert text.startswith("Ask me about ") and "article" in text
    assert help_in(services.service, ENGLISH, "") == services.service.help_text()
