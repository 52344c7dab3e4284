"""The Telegram message's date is the time a question is asked (issue 28): "who controls Varnak
now?" sent in February 2024 is answered as of then, with the extractive answerer and with an
LLM (whose prompt says the day asked). A message without a believable date is asked today.
Real PTB Application against the fake Bot API, real Chroma, the bundled model, BM25."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from telegram import Chat, Message

from bot.telegram.questions import asked_on
from bot.wiring.bot import BotServices, build_bot
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html
from tests.support.fakes import RecordingChatModel

VARNAK = [
    ("jan", "2024-01-10", "The Blue Brigade controls Varnak, its commander said in January."),
    ("mar", "2024-03-05", "The Red Front took control of Varnak after the Blue Brigade withdrew."),
    ("apr", "2024-04-20", "The Red Front controls Varnak and has reopened the market there."),
]

StartBot = Callable[[BotServices], FakeBotAPI]


def sent_on(day: date) -> dict[str, int]:
    """A message's `date` field: noon UTC of `day`, as Unix time."""
    return {"date": int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())}


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    runner = BotRunner()
    yield lambda parts: runner.start(lambda **values: make_settings(tmp_path, **values), parts)
    runner.stop_all()


@pytest.fixture
def varnak_store(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> tuple[ArticleStore, KeywordIndex]:
    articles = [
        Article(key=key, title=f"Varnak report {key}", text=text, published=published)
        for key, published, text in VARNAK
    ]
    keyword = KeywordIndex(make_settings(tmp_path).home / "keyword")
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)
    return fresh_store, keyword


def visible_replies(fake: FakeBotAPI, count: int) -> list[str]:
    fake.wait_for(lambda: len(fake.sent(chat_id=111)) >= count)
    return [parse_telegram_html(str(p["text"]))[0] for p in fake.sent(chat_id=111)]


def test_a_question_is_answered_as_of_the_day_its_message_was_sent(
    start_bot: StartBot,
    varnak_store: tuple[ArticleStore, KeywordIndex],
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    store, _ = varnak_store
    fake = start_bot(build_bot(make_settings(tmp_path), store=store, embeddings=embeddings))
    fake.push_message("who controls Varnak now?", extra=sent_on(date(2024, 2, 1)))
    (february,) = visible_replies(fake, 1)
    assert "Blue Brigade" in february and "Red Front" not in february, february
    assert "(Newest report cited: 10 January 2024.)" not in february  # 22 days: not stale

    fake.push_message("who controls Varnak now?", extra=sent_on(date(2024, 4, 25)))
    april = visible_replies(fake, 2)[1]
    assert "The Red Front, as of 20 April 2024 [" in april, april
    assert "Newest report cited" not in april

    fake.push_message("who controls Varnak now?")  # sent today: the reports are old
    today = visible_replies(fake, 3)[2]
    assert "(Newest report cited: 20 April 2024.)" in today, today


def test_the_llm_is_told_the_day_the_message_was_sent(
    start_bot: StartBot,
    varnak_store: tuple[ArticleStore, KeywordIndex],
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    store, _ = varnak_store
    model = RecordingChatModel(
        responses=["The Blue Brigade [1]\nThe Blue Brigade controls Varnak [1]."], prompts=[]
    )
    services = build_bot(
        make_settings(tmp_path), store=store, embeddings=embeddings, chat_model=model
    )
    fake = start_bot(services)  # a private chat: the LLM's reply streams
    fake.push_message("who controls Varnak now?", extra=sent_on(date(2024, 2, 1)))
    (reply,) = visible_replies(fake, 1)
    (prompt,) = model.prompts
    assert "(Asked on 1 February 2024." in prompt
    assert "2024-01-10" in prompt and "2024-03-05" not in prompt and "Red Front" not in prompt
    assert "Blue Brigade" in reply


def message_dated(sent: datetime | None) -> Message:
    chat = Chat(id=1, type="private")
    return Message(message_id=1, date=sent, chat=chat)  # type: ignore[arg-type]


def test_a_message_without_a_believable_date_is_asked_today() -> None:
    assert asked_on(message_dated(datetime(2024, 2, 1, 23, 30, tzinfo=UTC))) == date(2024, 2, 1)
    naive = datetime(2024, 2, 1, 8, 0)  # read as UTC
    assert asked_on(message_dated(naive)) == date(2024, 2, 1)
    assert asked_on(message_dated(None)) is None
    assert asked_on(message_dated(datetime(1970, 1, 1, tzinfo=UTC))) is None  # date 0
    assert asked_on(message_dated(datetime(2100, 1, 1, tzinfo=UTC))) is None  # a wrong clock
