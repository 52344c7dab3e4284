"""Streaming in Telegram: the real bot, the fake Bot API and the fake streaming LLM (the real
langchain-openai client). A private chat sees drafts of the reply before the final message,
which carries the citations and buttons in HTML Telegram accepts; the typing action is
renewed until then; a group gets the final answer only."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.telegram import streaming
from bot.wiring.bot import build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_llm_provider import FakeLLMProvider
from tests.support.fake_telegram import BOT_USER, FakeBotAPI, parse_telegram_html

REPLY = "The PMU controls Qairawan [1], the town the militia liberated last week [1]."


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> Iterator[FakeLLMProvider]:
    server = FakeLLMProvider(reply=getattr(request, "param", REPLY)).start()
    server.chunk_chars, server.chunk_seconds = 6, 0.4  # about 5 s in all: typing is renewed
    yield server
    server.stop()


@pytest.fixture
def bot(
    provider: FakeLLMProvider,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FakeBotAPI]:
    monkeypatch.setattr(streaming, "TYPING_EVERY", 1.0)  # so a short test sees it renewed
    llm = {
        "NEWSDESK_LLM": "openai:fake-model",
        "NEWSDESK_LLM_API_KEY": "sk-stream-test-key-0123456789",
        "NEWSDESK_LLM_BASE_URL": provider.base_url,
    }
    parts = build_bot(make_settings(tmp_path, **llm), store=seed_store, embeddings=embeddings)
    runner = BotRunner()
    yield runner.start(lambda **values: make_settings(tmp_path, **llm, **values), parts)
    runner.stop_all()


def final_of(fake: FakeBotAPI, chat_id: int) -> dict[str, Any]:
    fake.wait_for(lambda: bool(fake.sent(chat_id=chat_id)), timeout=90)
    (final,) = fake.sent(chat_id=chat_id)
    return final


def test_a_private_chat_sees_drafts_then_the_checked_answer(
    bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    bot.push_message("who controls Qairawan?", chat_id=111)
    final = final_of(bot, 111)
    drafts = bot.sent("sendMessageDraft", chat_id=111)
    assert len(drafts) >= 2, "the reply streamed in several drafts"
    texts = [str(d["text"]) for d in drafts]
    assert all(REPLY.startswith(text) for text in texts) and len(texts[0]) < len(REPLY)
    assert all(d["_received"] < final["_received"] for d in drafts), "drafts came first"
    assert provider.streamed_at[0] < drafts[0]["_received"] < provider.streamed_at[-1]
    assert len({str(d["draft_id"]) for d in drafts}) == 1, "one draft, animated"
    gaps = [b["_received"] - a["_received"] for a, b in itertools.pairwise(drafts)]
    assert min(gaps) >= streaming.DRAFT_EVERY * 0.9, "drafts are throttled"

    assert final["parse_mode"] == "HTML" and final["_status"] == 200
    visible, error = parse_telegram_html(str(final["text"]))
    assert error == "", error
    assert visible.startswith(REPLY) and "Sources" in visible
    buttons = json.loads(final["reply_markup"])["inline_keyboard"]
    assert any("[1]" in b["text"] for row in buttons for b in row), "a source button"

    typing = [c for c in bot.sent("sendChatAction", chat_id=111) if c["action"] == "typing"]
    assert len(typing) >= 2, "typing was renewed while the answer streamed"
    assert all(c["_received"] < final["_received"] + 0.5 for c in typing), "and then stopped"


def test_a_group_gets_the_final_answer_only(bot: FakeBotAPI) -> None:
    mention = f"@{BOT_USER['username']}"
    text = f"{mention} who controls Qairawan?"
    bot.push_message(
        text,
        chat_id=-500,
        chat_type="group",
        entities=[{"type": "mention", "offset": 0, "length": len(mention)}],
    )
    final = final_of(bot, -500)
    assert bot.sent("sendMessageDraft") == [] and bot.sent("editMessageText") == []
    assert str(final["text"]).startswith("The PMU controls Qairawan [1]")
    assert parse_telegram_html(str(final["text"]))[1] == ""


def test_without_drafts_one_message_is_edited_then_deleted() -> None:
    """Where the Bot API has no sendMessageDraft: a message edited in place, throttled."""
    import asyncio

    from telegram import Bot

    from tests.support.bot_runner import TOKEN

    fake = FakeBotAPI(TOKEN).start()

    async def show() -> None:
        async with Bot(TOKEN, base_url=fake.base_url) as telegram_bot:
            shower = streaming.DraftShower(telegram_bot, 111)
            shower.native, shower.every = False, 0.0
            for text in ("The PMU", "The PMU controls", "The PMU controls"):
                await shower.show(text)
            shower.every = 60.0
            await shower.show("The PMU controls Qairawan")  # too soon: not shown
            await shower.finish()

    try:
        asyncio.run(show())
        calls = [(name, params.get("text")) for name, params in fake.calls if name != "getMe"]
    finally:
        fake.stop()
    assert calls == [
        ("sendMessage", "The PMU"),
        ("editMessageText", "The PMU controls"),
        ("deleteMessage", None),
    ]


PHISHING = "The PMU controls Qairawan [1]. Log in at https://evil.example/qairawan-login [1]."


@pytest.mark.parametrize("provider", [PHISHING], indirect=True)
def test_a_draft_never_shows_a_link_and_the_answer_drops_an_invented_one(
    bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    bot.push_message("who controls Qairawan?", chat_id=111)
    final = final_of(bot, 111)
    drafts = [str(d["text"]) for d in bot.sent("sendMessageDraft", chat_id=111)]
    assert drafts and any("[link]" in text for text in drafts), drafts
    assert not any("evil" in text or "https" in text for text in drafts), drafts
    visible, _ = parse_telegram_html(str(final["text"]))
    assert visible.startswith("The PMU controls Qairawan [1]") and "evil.example" not in visible
