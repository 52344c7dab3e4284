"""Many chats at once: the real Application, concurrent updates, against the fake Bot API. A
slow answer in one chat (of one member of a group) doesn't hold up another; one chat's
messages are answered in order; /reindex runs in the background while questions are
answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.telegram.admin import ALREADY_REINDEXING
from bot.wiring.bot import BotServices, build_bot
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.conftest import SEED_DIR, make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fakes import SlowChatModel
from tests.support.web_server import Page, WebServer, news_page

ADMIN = 7001
CHAT_A, CHAT_B = 501, 502
GROUP = -503
SLOW = "who controls Qairawan?"
FAST = "who leads the Badr Organization?"
ANSWER = "The Popular Mobilization Units hold Qairawan, the statement says [1]."
StartBot = Callable[..., FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    runner = BotRunner()

    def start(parts: BotServices, **settings: object) -> FakeBotAPI:
        return runner.start(
            lambda **values: make_settings(tmp_path, **values, **settings),
            parts,
        )

    yield start
    runner.stop_all()


def slow_parts(
    seed_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, home: Path, **model: Any
) -> BotServices:
    chat_model = SlowChatModel(responses=[ANSWER], **model)
    return build_bot(
        make_settings(home), store=seed_store, embeddings=embeddings, chat_model=chat_model
    )


def answered_at(fake: FakeBotAPI, chat_id: int) -> list[float]:
    """When each answer (a message with buttons) reached the fake, in order."""
    return [float(p["_received"]) for p in fake.sent(chat_id=chat_id) if p.get("reply_markup")]


@pytest.mark.parametrize("concurrent", [32, 1])
def test_a_slow_answer_in_one_chat_does_not_delay_another(
    start_bot: StartBot,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
    concurrent: int,
) -> None:
    parts = slow_parts(seed_store, embeddings, tmp_path, slow_words=[SLOW], slow_seconds=4.0)
    fake = start_bot(parts, NEWSDESK_CONCURRENT_UPDATES=concurrent)
    fake.push_message(SLOW, chat_id=CHAT_A, user_id=CHAT_A)
    fake.push_message(FAST, chat_id=CHAT_B, user_id=CHAT_B)
    fake.wait_for(lambda: bool(answered_at(fake, CHAT_A) and answered_at(fake, CHAT_B)))
    (a,), (b,) = answered_at(fake, CHAT_A), answered_at(fake, CHAT_B)
    if concurrent > 1:
        assert b < a - 2.0, "chat B was answered while chat A's slow answer was on its way"
    else:  # the serial bot, for contrast: the test tells the two apart
        assert b > a


def test_two_messages_in_one_chat_are_answered_in_order(
    start_bot: StartBot,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    parts = slow_parts(seed_store, embeddings, tmp_path, slow_words=[SLOW], slow_seconds=2.0)
    fake = start_bot(parts)
    fake.push_message(SLOW, chat_id=CHAT_A, user_id=CHAT_A)
    fake.push_message("/reset", chat_id=CHAT_A, user_id=CHAT_A)  # no follow-up rewriting
    fake.push_message(FAST, chat_id=CHAT_A, user_id=CHAT_A)
    fake.push_message(FAST, chat_id=CHAT_B, user_id=CHAT_B)
    fake.wait_for(lambda: len(answered_at(fake, CHAT_A)) == 2)
    texts = [str(p["text"]) for p in fake.sent(chat_id=CHAT_A)]
    assert len(texts) == 3 and "forgotten our conversation" in texts[1]
    first, second = answered_at(fake, CHAT_A)
    assert first < second
    # Chat B's question, sent last, did not wait for chat A's.
    assert answered_at(fake, CHAT_B)[0] < first


def test_in_a_group_one_members_slow_question_does_not_hold_up_another_members(
    start_bot: StartBot,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    """Each member of a group takes turns only with themselves: a backlog of one member's
    (a flood, or one slow answer) leaves the others' questions alone."""
    parts = slow_parts(seed_store, embeddings, tmp_path, slow_words=[SLOW], slow_seconds=4.0)
    fake = start_bot(parts)
    asked = {
        "slow": fake.push_mention(SLOW, chat_id=GROUP, user_id=CHAT_A),
        "same member's next": fake.push_mention(FAST, chat_id=GROUP, user_id=CHAT_A),
        "another member's": fake.push_mention(FAST, chat_id=GROUP, user_id=CHAT_B),
    }
    fake.wait_for(lambda: all(fake.replies_to(message) for message in asked.values()))
    at = {name: float(fake.replies_to(message)[0]["_received"]) for name, message in asked.items()}
    assert at["another member's"] < at["slow"] - 2.0
    assert at["slow"] < at["same member's next"], "one member's questions stay in order"


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


def test_a_question_during_reindex_is_answered_and_a_second_reindex_is_told(
    start_bot: StartBot, embeddings: SentenceTransformerEmbeddings, tmp_path: Path, web: WebServer
) -> None:
    store = open_store("during-reindex", path=tmp_path / "chroma")
    index_articles(load_paths([SEED_DIR]), store, embeddings)
    story = (
        "The council of Tal Sufouq met on Monday and elected Ahmed Jabouri as its new mayor.\n\n"
        "Jabouri said the first task was to reopen the schools that closed during the fighting."
    )
    slow_page = news_page("Mayor elected", story)
    url = web.add("/slow-story", Page(slow_page, delay=5.0))
    settings = {
        "NEWSDESK_ADMIN_IDS": str(ADMIN),
        "NEWSDESK_ALLOW_PRIVATE_URLS": "true",
        "NEWSDESK_FEED_POLL_MINUTES": "0",
        "NEWSDESK_SOURCES": url,
        "NEWSDESK_INDEX_PROGRESS_SECONDS": "1",
    }
    parts = build_bot(make_settings(tmp_path, **settings), store=store, embeddings=embeddings)
    fake = start_bot(parts, **settings)
    fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    fake.wait_for(lambda: bool(web.requests))  # the run is fetching the slow page
    fake.push_message(SLOW, chat_id=CHAT_A, user_id=CHAT_A)
    fake.push_message(SLOW, chat_id=ADMIN, user_id=ADMIN)  # the admin's own chat too
    fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)

    def is_report(text: str) -> bool:
        return "articles read" in text and not text.startswith("Still")

    fake.wait_for(lambda: any(is_report(text) for text in fake.delivered(ADMIN)), timeout=90)
    admin = fake.delivered(ADMIN)
    report = next(i for i, text in enumerate(admin) if is_report(text))
    assert admin[0].startswith("Re-indexing")
    answers = [i for i, text in enumerate(admin) if "Qairawan" in text]
    assert answers and answers[0] < report, "the admin's question was answered meanwhile"
    told = ALREADY_REINDEXING.format(minutes=0)
    assert told in admin[:report], admin
    assert any(text.startswith("Still indexing") for text in admin[:report])
    assert "1 new" in admin[report]
    (answer,) = fake.delivered(CHAT_A)  # long before the report: the page takes 5 s
    assert "Qairawan" in answer
    assert fake.sent(chat_id=CHAT_A)[0]["_received"] < fake.sent(chat_id=ADMIN)[report]["_received"]
    assert store.has_article(url)
