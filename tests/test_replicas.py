"""Two bot replicas sharing one database (an SQLite file, or a real Postgres) and one store,
each with its own NEWSDESK_HOME and its own fake Bot API: a button pressed on replica B shows
replica A's passage and B's vote lands on A's answer, a follow-up on B is understood from the
question asked on A, `/prompt set` on A is live on B, and with NEWSDESK_ROLE=bot on B its
/reindex, uploads and bad jobs are queued for A, the indexer, which never prunes an upload
made through B; a story followed on B is pushed by A, once."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.telegram.admin import QUEUED
from bot.telegram.buttons import THANKS
from bot.telegram.pushes import HEADING
from bot.wiring.bot import build_bot
from bot.wiring.state import open_state
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI

ADMIN = 7001
READER = 111
STORY = (
    "The council of Tal Sufouq met on Monday and elected Ahmed Jabouri as its new mayor.\n\n"
    "Jabouri said the first task was to reopen the schools that closed during the fighting."
)


def replica_settings(home: Path, database_url: str, **values: str) -> Settings:
    return make_settings(
        home,
        NEWSDESK_DATABASE_URL=database_url,
        NEWSDESK_ADMIN_IDS=str(ADMIN),
        NEWSDESK_FEED_POLL_MINUTES="0",
        NEWSDESK_JOB_POLL_SECONDS="0.3",
        **values,
    )


def start_replica(
    runner: BotRunner,
    home: Path,
    database_url: str,
    store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    **values: str,
) -> FakeBotAPI:
    parts = build_bot(replica_settings(home, database_url, **values), store=store,
                        embeddings=embeddings)  # fmt: skip
    return runner.start(
        lambda **telegram: replica_settings(home, database_url, **values, **telegram), parts
    )


def indexer_and_bot(
    runner: BotRunner,
    tmp_path: Path,
    database_url: str,
    store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
) -> tuple[FakeBotAPI, FakeBotAPI]:
    """Replica A in NEWSDESK_ROLE=all (the indexer) and replica B in NEWSDESK_ROLE=bot."""
    indexer = start_replica(runner, tmp_path / "a", database_url, store, embeddings)
    bot = start_replica(
        runner, tmp_path / "b", database_url, store, embeddings, NEWSDESK_ROLE="bot"
    )
    return indexer, bot


def answered_message(fake: FakeBotAPI) -> dict[str, Any]:
    params = [p for p in fake.sent(chat_id=READER) if p.get("reply_markup")][-1]
    return {
        "message_id": 9000,
        "date": 0,
        "chat": {"id": READER, "type": "private"},
        "text": str(params["text"]),
        "reply_markup": json.loads(str(params["reply_markup"])),
    }


def button_data(message: dict[str, Any]) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [str(button["callback_data"]) for row in rows for button in row]


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in fake.sent(chat_id=chat_id)]


def test_a_button_pressed_on_another_replica_shows_the_first_ones_answer(
    tmp_path: Path,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    database_url: str,
) -> None:
    runner = BotRunner()
    try:
        a = start_replica(runner, tmp_path / "a", database_url, seed_store, embeddings)
        b = start_replica(runner, tmp_path / "b", database_url, seed_store, embeddings)
        a.push_message("who controls Qairawan?")
        a.wait_for(lambda: any(p.get("reply_markup") for p in a.sent(chat_id=READER)))
        message = answered_message(a)
        source, *_, up, _down = button_data(message)
        assert len(source.encode()) <= 64 and source.startswith("p:")

        b.push_callback(source, message)
        b.wait_for(lambda: bool(b.sent(chat_id=READER)))
        assert "al-Hashd al-Shaabi" in texts(b, READER)[0]
        b.push_callback(up, message)
        b.wait_for(lambda: len(b.sent("answerCallbackQuery")) >= 2)
        assert b.sent("answerCallbackQuery")[-1]["text"] == THANKS[1]
        state = open_state(replica_settings(tmp_path / "a", database_url))
        assert state.answers.feedback(int(up.split(":")[1], 16)) == [(READER, 1)]

        # The chat's memory is shared too: B understands a follow-up to A's question.
        b.push_message("and who leads them?")
        b.wait_for(lambda: len(b.sent(chat_id=READER)) >= 2)
        assert texts(b, READER)[1] == "(Understood as: who leads al-Hashd al-Shaabi?)"

        a.push_message("/prompt set refusal Nothing about that here.", chat_id=ADMIN, user_id=ADMIN)
        a.wait_for(lambda: bool(a.sent(chat_id=ADMIN)))
        assert texts(a, ADMIN)[0].startswith("Published refusal version 2")
        b.push_message("/prompt show refusal", chat_id=ADMIN, user_id=ADMIN)
        b.wait_for(lambda: bool(b.sent(chat_id=ADMIN)))
        assert texts(b, ADMIN)[0] == "Nothing about that here."
    finally:
        runner.stop_all()


def test_a_bot_replica_queues_indexing_for_the_indexer_which_keeps_its_uploads(
    tmp_path: Path,
    fresh_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    database_url: str,
) -> None:
    runner = BotRunner()
    try:
        indexer, bot = indexer_and_bot(runner, tmp_path, database_url, fresh_store, embeddings)
        bot.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
        bot.wait_for(lambda: bool(bot.sent(chat_id=ADMIN)))
        assert texts(bot, ADMIN)[0].startswith("Queued as job 1")
        indexer.wait_for(lambda: bool(indexer.sent(chat_id=ADMIN)))
        assert "1 articles read (1 new" in texts(indexer, ADMIN)[0]
        assert fresh_store.overview().articles == 1
        (kept,) = (tmp_path / "a" / "uploads").glob("*/council.txt")  # written from the record

        bot.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
        bot.wait_for(lambda: len(bot.sent(chat_id=ADMIN)) >= 2)
        assert texts(bot, ADMIN)[1] == QUEUED.format(job=2)
        indexer.wait_for(lambda: len(indexer.sent(chat_id=ADMIN)) >= 2)
        assert "index already up to date" in texts(indexer, ADMIN)[1]
        # The indexer's own /reindex, with the upload's file gone from its disk: the record
        # says it is there, so it is written again and nothing is pruned.
        kept.unlink()
        indexer.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
        indexer.wait_for(lambda: len(indexer.sent(chat_id=ADMIN)) >= 4)
        assert "pruned" not in texts(indexer, ADMIN)[3] and kept.exists()
        assert fresh_store.overview().articles == 1

        # Jobs that aren't what their kind needs fail with a message; nothing else happens.
        jobs = open_state(replica_settings(tmp_path / "a", database_url)).jobs
        bad = [
            jobs.enqueue("links", {"urls": "http://127.0.0.1/not-a-list"}, ADMIN),
            jobs.enqueue("upload", {"digest": "../../etc"}, ADMIN),
        ]
        indexer.wait_for(lambda: len(indexer.sent(chat_id=ADMIN)) >= 6)
        assert texts(indexer, ADMIN)[4:] == [
            f"Job {bad[0]} (links) failed: job {bad[0]}: a 'links' job without what it needs",
            f"Job {bad[1]} (upload) failed: job {bad[1]}: no recorded upload '../../etc'",
        ]
        assert [jobs.get(n).status for n in bad] == ["failed", "failed"]  # type: ignore[union-attr]
        assert fresh_store.overview().articles == 1
    finally:
        runner.stop_all()


def test_a_follow_made_on_a_bot_replica_is_pushed_once_by_the_indexer(
    tmp_path: Path,
    fresh_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    database_url: str,
) -> None:
    runner = BotRunner()
    try:
        indexer, bot = indexer_and_bot(runner, tmp_path, database_url, fresh_store, embeddings)
        bot.push_message("/follow the mayor of Tal Sufouq")
        bot.wait_for(lambda: bool(bot.sent(chat_id=READER)))
        bot.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
        indexer.wait_for(lambda: bool(pushes(indexer)), timeout=120)
        indexer.wait_for(lambda: bool(indexer.sent(chat_id=ADMIN)))  # the job's report
        time.sleep(1.0)
        assert len(pushes(indexer)) == 1 and pushes(bot) == []
        assert "Ahmed Jabouri" in str(pushes(indexer)[0]["text"])
    finally:
        runner.stop_all()


def pushes(fake: FakeBotAPI) -> list[dict[str, Any]]:
    return [p for p in fake.sent(chat_id=READER) if str(p["text"]).startswith(HEADING)]
