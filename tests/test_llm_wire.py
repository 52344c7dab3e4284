"""Any LLM on the wire: the real langchain-openai client against our fake OpenAI-compatible
server on 127.0.0.1 (as Ollama, llama-server or vLLM would be set up), through the real
Telegram bot, where a private chat streams, and the CLI, where the reply comes whole. Each
case gets a clear message to the user, and the bot stays alive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.llm import EMPTY_REPLY
from bot.answering.llm_errors import TIMED_OUT
from bot.cli.main import main
from bot.wiring.bot import build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_llm_provider import FakeLLMProvider
from tests.support.fake_telegram import FakeBotAPI

KEY = "sk-wire-0123456789abcdefSECRET"
Q = "who controls Qairawan?"
REFUSAL = "The articles I have don't cover that question"


@pytest.fixture
def provider() -> Iterator[FakeLLMProvider]:
    server = FakeLLMProvider().start()
    yield server
    server.stop()


def llm_settings(provider: FakeLLMProvider) -> dict[str, str]:
    return {
        "NEWSDESK_LLM": "openai:fake-model",
        "NEWSDESK_LLM_API_KEY": KEY,
        "NEWSDESK_LLM_BASE_URL": provider.base_url,
        "NEWSDESK_LLM_TIMEOUT_SECONDS": "1",
    }


@pytest.fixture
def bot(
    provider: FakeLLMProvider,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> Iterator[FakeBotAPI]:
    llm = llm_settings(provider)
    parts = build_bot(make_settings(tmp_path, **llm), store=seed_store, embeddings=embeddings)
    runner = BotRunner()
    yield runner.start(lambda **values: make_settings(tmp_path, **llm, **values), parts)
    runner.stop_all()


# (mode, the model's reply, what the user is told), each asked in a chat of its own.
CASES = [
    ("ok", "The PMU controls Qairawan [1].", "The PMU controls Qairawan [1]."),
    ("ok", "The PMU controls Qairawan [7].", REFUSAL),  # cites a passage it wasn't given
    ("ok", "NO_ANSWER", REFUSAL),
    ("ok", "", EMPTY_REPLY),
    ("error", "", "the LLM provider failed (HTTP 500); please try again in a moment"),
    ("slow", "", TIMED_OUT),
    ("malformed", "", "the LLM provider's reply could not be used"),
    ("ok", "Al-Hashd al-Shaabi controls Qairawan [1].", "Al-Hashd al-Shaabi controls Qairawan"),
]


def test_every_case_on_the_wire_is_a_clear_message_and_the_bot_stays_alive(
    bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    for chat, (mode, reply, told) in enumerate(CASES, start=1000):
        provider.mode, provider.reply = mode, reply
        asked = provider.requests
        bot.push_message(Q, chat_id=chat, user_id=chat)
        bot.wait_for(lambda: bool(bot.sent(chat_id=chat)), timeout=90)  # noqa: B023
        (message,) = bot.sent(chat_id=chat)
        text = str(message["text"])
        assert text.startswith(told), (mode, reply, text)
        assert KEY not in text and "Traceback" not in text
        assert provider.requests > asked, "the question went to the provider"
    streamed = [body for body in provider.bodies if body.get("stream")]
    assert streamed, "a private chat asks for a streamed reply"
    (system, human) = streamed[0]["messages"]
    assert system["role"] == "system" and "Rules:" in system["content"]
    assert human["role"] == "user" and f"Question: {Q}" in human["content"]
    assert "Qairawan" in human["content"] and "Qairawan" not in system["content"]


def test_the_cli_gets_the_plain_reply_and_json_says_which_sentence_failed(
    provider: FakeLLMProvider,
    seed_home: Path,
    seed_store: ArticleStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(seed_home)
    for name, value in {"NEWSDESK_HOME": str(seed_home), **llm_settings(provider)}.items():
        monkeypatch.setenv(name, value)
    provider.reply = "The PMU controls Qairawan [1]. It has 500 fighters there [1]."
    assert main(["ask", "--json", Q]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["answer"] == "The PMU controls Qairawan [1]." and shown["unsupported"]
    assert [c["supported"] for c in shown["checks"]] == [True, False]
    assert shown["checks"][1] == {
        "sentence": "It has 500 fighters there [1].",
        "supported": False,
        "reason": "states 500, which [1] does not",
    }
    assert provider.bodies[-1].get("stream") in (None, False), "the CLI asks for the whole reply"
    provider.reply = ""
    assert main(["ask", Q]) == 2
    assert capsys.readouterr().err.strip() == f"newsdesk: error: {EMPTY_REPLY}"


def test_a_local_server_needs_no_key(
    provider: FakeLLMProvider, seed_home: Path, seed_store: ArticleStore, monkeypatch
) -> None:
    """Ollama, llama-server and vLLM take no key: NEWSDESK_LLM_BASE_URL alone is enough."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = llm_settings(provider)
    del settings["NEWSDESK_LLM_API_KEY"]
    parts = build_bot(make_settings(seed_home, **settings), store=seed_store)
    provider.reply = "The PMU controls Qairawan [1]."
    assert parts.service.answer(Q).answer == "The PMU controls Qairawan [1]."
