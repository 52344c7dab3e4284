"""kill -9 of a real `newsdesk bot` process right after it answered and took a vote loses
neither (both are committed before Telegram is told), and the chat's memory survives the
restart: the next process understands a follow-up to the question asked before the kill.
On SQLite and on a real Postgres."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.state.answers import AnswerLog
from bot.state.database import open_database
from tests.support.bot_runner import TOKEN, start_bot_process
from tests.support.fake_telegram import FakeBotAPI

QUESTION = "who controls Qairawan?"


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def start_bot(home: Path, fake: FakeBotAPI, database_url: str) -> subprocess.Popen[bytes]:
    return start_bot_process(home, fake, NEWSDESK_DATABASE_URL=database_url)


def kill(bot: subprocess.Popen[bytes]) -> None:
    bot.send_signal(signal.SIGKILL)
    bot.wait(timeout=30)


def test_kill_9_after_an_answer_and_a_vote_loses_neither_nor_the_chat_memory(
    fake: FakeBotAPI, tmp_path: Path, database_url: str
) -> None:
    bot = start_bot(tmp_path, fake, database_url)
    try:
        fake.push_message(QUESTION)
        fake.wait_for(lambda: any(p.get("reply_markup") for p in fake.sent(chat_id=111)), 180)
        (sent,) = [p for p in fake.sent(chat_id=111) if p.get("reply_markup")]
        message = {
            "message_id": 9000,
            "date": 0,
            "chat": {"id": 111, "type": "private"},
            "text": str(sent["text"]),
            "reply_markup": json.loads(str(sent["reply_markup"])),
        }
        up = message["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
        fake.push_callback(up, message)
        fake.wait_for(lambda: bool(fake.sent("answerCallbackQuery")), 60)
        kill(bot)  # at once: whatever was not committed by now is lost

        log = AnswerLog(open_database(database_url))
        answer_id = int(up.split(":")[1], 16)
        recorded = log.get(answer_id)
        assert recorded is not None and recorded.question == QUESTION
        assert log.feedback(answer_id) == [(111, 1)] and log.count() == 1

        bot = start_bot(tmp_path, fake, database_url)
        before = len(fake.sent(chat_id=111))
        fake.push_message("and who leads them?")
        fake.wait_for(lambda: len(fake.sent(chat_id=111)) > before, 180)
        assert fake.sent(chat_id=111)[before]["text"] == (
            f"(Understood as: {QUESTION} and who leads them?)"
        )
    finally:
        kill(bot)


def test_an_indexer_process_takes_no_updates_runs_queued_jobs_and_reports(
    fake: FakeBotAPI, tmp_path: Path, database_url: str
) -> None:
    """NEWSDESK_ROLE=indexer: `newsdesk bot` never calls getUpdates (the replicas take the
    updates), runs the jobs they queued, sends each report to the chat that asked, and stops
    cleanly on SIGTERM."""
    from bot.state.jobs import JobQueue

    queue = JobQueue(open_database(database_url))
    job = queue.enqueue("reindex", {}, chat_id=7001)
    broken = queue.enqueue("links", {"urls": [1, 2]}, chat_id=7001)
    bot = start_bot_process(
        tmp_path, fake, NEWSDESK_DATABASE_URL=database_url, NEWSDESK_ROLE="indexer",
        NEWSDESK_JOB_POLL_SECONDS="0.5",
    )  # fmt: skip
    try:
        fake.wait_for(lambda: len(fake.sent(chat_id=7001)) >= 2, 180)
        first, second = (str(p["text"]) for p in fake.sent(chat_id=7001))
        assert "0 articles read" in first
        assert (
            second
            == f"Job {broken} (links) failed: job {broken}: a 'links' job without what it needs"
        )
        done = queue.get(job)
        assert done is not None and done.status == "done"
        assert not any(name == "getUpdates" for name, _ in fake.calls)
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=60) == 0
    finally:
        if bot.poll() is None:
            kill(bot)
