"""The shared state on SQLite and on a real Postgres: what one process records, another on
the same database sees; bad URLs and bad rows get clear messages; passwords stay hidden."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.answering.answers import Answer, Citation
from bot.answering.conversation import ConversationKey
from bot.answering.prompts import PLACEHOLDERS, PromptError, PromptLibrary
from bot.settings import PROJECT_DIR, SHIPPED_PROMPTS_DIR
from bot.state.answers import AnswerLog
from bot.state.database import Database, DatabaseError, open_database
from bot.state.feeds import FeedRecords
from bot.state.jobs import JobQueue
from bot.state.limits import StoredWindows
from bot.state.memory import StoredConversations
from bot.state.prompts import DatabasePromptStore
from bot.state.uploads import UploadRecords
from bot.telegram.limits import RateLimiter, RefusalOnce
from index.ingest.feeds import FeedListError
from tests.support.postgres import PostgresServer

CITED = Answer(
    question="who controls Qairawan?",
    answer="The militia does [1].",
    refused=False,
    citations=[
        Citation(1, "Title", "Source", "https://example.org", "2024-01-01", "quote", "c1", 0.7)
    ],
)


def other_process(url: str, script: str) -> str:
    """Run `script` (with `database` open on `url`) in a new Python process; its stdout."""
    prelude = (
        "import os\nfrom bot.state.database import open_database\n"
        "database = open_database(os.environ['URL'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        env={"PATH": "/usr/bin:/bin", "URL": url, "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_DIR,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_answer_and_vote_recorded_by_one_process_are_seen_by_another(
    database_url: str,
) -> None:
    answer_id = int(
        other_process(
            database_url,
            """
            from bot.answering.answers import Answer
            from bot.state.answers import AnswerLog
            log = AnswerLog(database)
            answer_id = log.record(Answer("q from another process", "a [1]", False), chat_id=5,
                                   user_id=6, latency_ms=12.5, prompt_version="answer v2")
            assert log.vote(answer_id, 6, -1)
            print(answer_id)
            """,
        ).splitlines()[-1]
    )
    log = AnswerLog(open_database(database_url))
    seen = log.get(answer_id)
    assert seen is not None and seen.question == "q from another process"
    assert log.feedback(answer_id) == [(6, -1)]
    assert 0 < answer_id < 2**63
    # And back: a vote cast here is seen there.
    assert log.vote(answer_id, 7, 1)
    out = other_process(
        database_url,
        "from bot.state.answers import AnswerLog\n"
        f"print(AnswerLog(database).feedback({answer_id}))",
    )
    assert out == "[(6, -1), (7, 1)]"


def test_answer_ids_are_random_and_votes_on_unknown_answers_are_refused(database_url: str) -> None:
    log = AnswerLog(open_database(database_url))
    ids = {log.record(CITED, chat_id=1, user_id=2, latency_ms=1.0, prompt_version="x")
           for _ in range(20)}  # fmt: skip
    assert len(ids) == 20 and max(ids) > 2**40, "random 63-bit ids, not a counter"
    assert not log.vote(12345, 1, 1) and log.get(12345) is None
    (one,) = list(ids)[:1]
    stored = log.get(one)
    assert stored is not None and stored.citations[0].chunk_id == "c1"
    assert log.vote(one, 2, 1) and log.vote(one, 2, -1)  # a changed vote replaces the first
    assert log.feedback(one) == [(2, -1)]
    figures = log.stats(3600)
    assert (figures.questions, figures.thumbs_up, figures.thumbs_down) == (20, 0, 1)


def test_a_prompt_set_through_one_library_is_live_in_another(database_url: str) -> None:
    first = PromptLibrary(SHIPPED_PROMPTS_DIR, DatabasePromptStore(open_database(database_url)))
    second = PromptLibrary(SHIPPED_PROMPTS_DIR, DatabasePromptStore(open_database(database_url)))
    first.notice_all_edits()
    shipped = second.template("refusal")
    assert [v.author for v in second.history("refusal")] == ["shipped"]
    version = first.publish("refusal", "Not in the articles, sorry.", "telegram:7 @ed")
    assert version.number == 2
    assert second.template("refusal") == "Not in the articles, sorry."
    assert second.notice_edits("refusal") == second.history("refusal")[-1]
    with pytest.raises(PromptError, match="lacks placeholder"):
        second.publish("answer", "Answer {question}", "cli:ed")
    assert len(first.history("answer")) == 1
    assert second.rollback("refusal", "cli:ed").note == "rollback to version 1"
    assert first.template("refusal") == shipped
    assert [v.number for v in first.history("refusal")] == [1, 2, 3]


def test_replicas_starting_at_once_record_each_shipped_prompt_once(database_url: str) -> None:
    """Every replica notices the shipped prompts when it starts; started together on an empty
    database, they must not each record them (a version 2 that is version 1 again), nor
    record a default over a version an admin published meanwhile."""
    libraries = [
        PromptLibrary(SHIPPED_PROMPTS_DIR, DatabasePromptStore(open_database(database_url)))
        for _ in range(6)
    ]
    start = threading.Barrier(len(libraries))

    def starting(library: PromptLibrary) -> None:
        start.wait()
        library.notice_all_edits()

    with ThreadPoolExecutor(len(libraries)) as pool:
        list(pool.map(starting, libraries))
    for name in PLACEHOLDERS:
        assert [v.author for v in libraries[0].history(name)] == ["shipped"], name
    store = libraries[0].store
    published = libraries[0].publish("refusal", "Not in the articles, sorry.", "cli:ed")
    shipped_text = (SHIPPED_PROMPTS_DIR / "refusal.txt").read_text(encoding="utf-8").strip()
    late = store.add("refusal", shipped_text, "shipped", "", from_default=True)
    assert late == published, "a default recorded late must not replace a published version"
    assert libraries[1].template("refusal") == "Not in the articles, sorry."


def test_an_edit_to_a_default_nobody_published_is_noticed(
    tmp_path: Path, database_url: str
) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in PLACEHOLDERS:
        (folder / f"{name}.txt").write_text((SHIPPED_PROMPTS_DIR / f"{name}.txt").read_text())
    library = PromptLibrary(folder, DatabasePromptStore(open_database(database_url)))
    assert library.template("refusal") and library.history("refusal") == []  # reading never writes
    library.notice_all_edits()
    (folder / "refusal.txt").write_text("Edited by hand.")
    assert library.template("refusal") == "Edited by hand."
    noticed = library.notice_edits("refusal")
    assert noticed is not None and noticed.author == "edited on disk" and noticed.number == 2
    (folder / "refusal.txt").write_text("Broken {oops}")
    assert library.template("refusal") == "Edited by hand."  # refused: the last valid stays
    assert library.notice_edits("refusal") is None
    library.publish("refusal", "Published.", "cli:ed")
    (folder / "refusal.txt").write_text("Another hand edit.")
    assert library.template("refusal") == "Published.", "a published version wins over the file"


def test_conversation_memory_is_kept_across_connections_and_bad_rows_count_as_none(
    database_url: str,
) -> None:
    memory = StoredConversations(open_database(database_url))
    chat = ConversationKey(42)
    for n in range(5):
        memory.remember(chat, (f"question {n}", f"answer {n}"))
    again = StoredConversations(open_database(database_url))
    assert again.recall(chat) == [(f"question {n}", f"answer {n}") for n in (2, 3, 4)]
    assert not memory.recall(ConversationKey(43)), "another chat has its own"
    assert not memory.recall(ConversationKey(42, topic=7)), "so has a topic of the chat"
    memory.remember(ConversationKey(42, topic=7), ("in the topic", "its answer"))
    assert again.recall(chat)[-1] == ("question 4", "answer 4")
    again.forget(chat)
    assert not memory.recall(chat)
    assert memory.recall(ConversationKey(42, topic=7)) == [("in the topic", "its answer")]
    database = open_database(database_url)
    for bad in ("{not json", '"a string"', '[["only one"], 5, ["q", "a"]]'):
        with database.transaction() as db:
            db.execute(text("DELETE FROM conversation_memory"))
            db.execute(
                text(
                    "INSERT INTO conversation_memory (conversation, turns_json, updated_at) "
                    "VALUES ('9', :t, 0)"
                ),
                {"t": bad},
            )
        assert memory.recall(ConversationKey(9)) == ([("q", "a")] if bad.startswith("[[") else [])


def test_rate_limits_are_counted_across_processes(database_url: str) -> None:
    now = [1000.0]
    here = RateLimiter(2, StoredWindows(open_database(database_url), clock=lambda: now[0]))
    there = RateLimiter(2, StoredWindows(open_database(database_url), clock=lambda: now[0]))
    assert here.wait_seconds(1) == 0 and there.wait_seconds(1) == 0
    now[0] = 1010.0
    assert here.wait_seconds(1) == 50 and there.wait_seconds(1) == 50
    assert there.wait_seconds(2) == 0  # another user has their own budget
    now[0] = 1060.0
    assert here.wait_seconds(1) == 0
    assert RateLimiter(0, here.windows).wait_seconds(1) == 0  # 0 turns the limit off
    refusals = RefusalOnce(StoredWindows(open_database(database_url), clock=lambda: now[0]))
    assert refusals.should_tell(5) and not refusals.should_tell(5) and refusals.should_tell(6)
    now[0] += 86400
    assert refusals.should_tell(5)


def test_feeds_are_shared_and_bad_urls_refused(database_url: str) -> None:
    feeds = FeedRecords(open_database(database_url))
    assert feeds.add(" http://example.com/rss ") and not feeds.add("http://example.com/rss")
    assert feeds.add("https://example.org/atom")
    assert FeedRecords(open_database(database_url)).urls() == [
        "http://example.com/rss",
        "https://example.org/atom",
    ]
    for bad in (
        "ftp://example.com/x",
        "javascript:alert(1)",
        "http://",
        "https://e.com/" + "x" * 3000,
    ):
        with pytest.raises(FeedListError):
            feeds.add(bad)
    assert feeds.remove("http://example.com/rss") and not feeds.remove("http://example.com/rss")


def test_a_job_is_claimed_by_one_worker_only(database_url: str) -> None:
    queue, other = JobQueue(open_database(database_url)), JobQueue(open_database(database_url))
    first = queue.enqueue("reindex", {}, chat_id=7)
    second = queue.enqueue("links", {"urls": ["https://example.org/a"]}, chat_id=None)
    claimed = queue.claim("indexer-a")
    assert claimed is not None and (claimed.id, claimed.kind) == (first, "reindex")
    taken = other.claim("indexer-b")
    assert taken is not None and taken.id == second and taken.payload["urls"]
    assert queue.claim("indexer-a") is None
    (abandoned,) = queue.requeue_abandoned("indexer-b")  # killed mid-run: back in the queue
    assert (abandoned.id, abandoned.kind, abandoned.status) == (second, "links", "queued")
    again = queue.claim("indexer-a")
    assert again is not None and again.id == second
    queue.finish(first, {"summary": "done"})
    done = other.get(first)
    assert done is not None and done.status == "done" and done.result == {"summary": "done"}
    with pytest.raises(ValueError, match="unknown job kind"):
        queue.enqueue("rm -rf", {}, chat_id=None)


def test_a_job_run_at_once_is_on_record_and_queued_again_if_abandoned(database_url: str) -> None:
    queue = JobQueue(open_database(database_url))
    job_id = queue.start("reindex", {}, chat_id=7, worker="bot-a")
    running = queue.get(job_id)
    assert running is not None and running.status == "running"
    assert queue.claim("bot-b") is None  # running, not queued
    assert queue.requeue_abandoned("bot-b") == []
    (abandoned,) = queue.requeue_abandoned("bot-a")  # the process stopped before the end
    assert (abandoned.id, abandoned.chat_id) == (job_id, 7)
    again = queue.claim("bot-a")
    assert again is not None and again.id == job_id


def test_bad_database_urls_get_a_clear_message() -> None:
    with pytest.raises(DatabaseError, match="not a database URL"):
        Database("definitely not a url")
    with pytest.raises(DatabaseError, match="unsupported database 'mysql'"):
        Database("mysql://u:p@127.0.0.1/x")


def test_an_unreachable_postgres_names_it_without_the_password(
    postgres: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.state.database")
    wrong = postgres.url().replace(postgres.password, "wrong-password-123456")
    with pytest.raises(DatabaseError) as raised:
        open_database(wrong)
    message = str(raised.value)
    assert "password authentication failed" in message and "127.0.0.1" in message
    assert "wrong-password-123456" not in message and "***" in message
    database = open_database(postgres.new_database())
    assert "migrated from empty to 0006" in caplog.text
    assert postgres.password not in caplog.text
    assert postgres.password not in repr(database.engine.url)


def test_garbage_in_a_rate_window_counts_as_no_events(database_url: str) -> None:
    database = open_database(database_url)
    with database.transaction() as db:
        db.execute(text("INSERT INTO rate_windows (key, stamps_json) VALUES ('ask:1', '{oops')"))
        db.execute(text("INSERT INTO rate_windows (key, stamps_json) VALUES ('ask:2', '[\"x\"]')"))
    limiter = RateLimiter(1, StoredWindows(database))
    assert limiter.wait_seconds(1) == 0 and limiter.wait_seconds(2) == 0
    assert limiter.wait_seconds(1) > 0


def test_upload_records_are_written_back_and_unsafe_names_skipped(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    records = UploadRecords(open_database(database_url))
    assert records.add("0123456789abcdef", "news.txt", b"Title\n\nBody.\n")
    assert not records.add("0123456789abcdef", "other-name.txt", b"Title\n\nBody.\n")
    records.add("fedcba9876543210", "../../escape.txt", b"x")
    records.add("../..", "name.txt", b"x")
    records.add("aaaaaaaaaaaaaaaa", ".hidden", b"x")
    (path,) = records.materialize(tmp_path / "uploads")
    assert path == tmp_path / "uploads" / "0123456789abcdef" / "news.txt"
    assert path.read_bytes() == b"Title\n\nBody.\n"
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert [p for p in written if not p.name.startswith("state.sqlite")] == [
        Path("uploads/0123456789abcdef/news.txt")
    ]
    assert caplog.text.count("not a safe file name") == 3


def test_an_unknown_role_is_refused_by_name(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from tests.conftest import make_settings

    with pytest.raises(ValidationError, match="'all', 'bot' or 'indexer'"):
        make_settings(tmp_path, NEWSDESK_ROLE="boss")
    assert make_settings(tmp_path, NEWSDESK_ROLE=" Indexer ").role == "indexer"
    assert not make_settings(tmp_path, NEWSDESK_ROLE="bot").runs_indexing_jobs
    assert make_settings(tmp_path).runs_indexing_jobs  # all, the default


def test_the_database_password_is_among_the_secrets(tmp_path: Path) -> None:
    from tests.conftest import make_settings

    url = "postgresql+psycopg://newsdesk:s3cret-Passw0rd@db:5432/newsdesk"
    settings = make_settings(tmp_path, NEWSDESK_DATABASE_URL=url)
    assert settings.database_url == url and "s3cret-Passw0rd" in settings.secrets()
    assert "s3cret" not in repr(settings)
    assert make_settings(tmp_path).database_url == f"sqlite:///{tmp_path / 'newsdesk.sqlite'}"
