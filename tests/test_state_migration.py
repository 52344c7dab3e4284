"""Files older versions kept under NEWSDESK_HOME (answers.sqlite, prompt history with live
copies, feeds.json, the uploads folder), in their old formats, are imported into the shared
database once, on SQLite and on Postgres; damaged ones are reported and skipped. Databases of
older revisions keep their rows through the migrations."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.answering.prompts import PromptLibrary
from bot.settings import SHIPPED_PROMPTS_DIR
from bot.state.database import MIGRATIONS, Database, open_database
from bot.state.shared import open_shared_state

# The answer log's schema before the shared database, as bot/telegram/answer_log.py made it.
OLD_SCHEMA = """
CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER, user_id INTEGER, asked_at REAL NOT NULL,
    question TEXT NOT NULL, answer_json TEXT NOT NULL, refused INTEGER NOT NULL,
    latency_ms REAL NOT NULL, prompt_version TEXT NOT NULL
);
CREATE TABLE feedback (
    answer_id INTEGER NOT NULL REFERENCES answers(id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (answer_id, user_id)
);
"""
ANSWER_JSON = json.dumps(
    {"question": "who controls Qairawan?", "answer": "The militia [1].", "refused": False,
     "citations": [{"n": 1, "title": "T", "source": "S", "url": "", "published": "",
                    "quote": "q", "chunk_id": "c1", "score": 0.5, "passage_ids": ["c1"]}],
     "unsupported": False}
)  # fmt: skip
SHIPPED_REFUSAL = (SHIPPED_PROMPTS_DIR / "refusal.txt").read_text().strip()


def old_home(home: Path) -> Path:
    with sqlite3.connect(home / "answers.sqlite") as db:
        db.executescript(OLD_SCHEMA)
        for n in (1, 2):
            db.execute(
                "INSERT INTO answers (chat_id, user_id, asked_at, question, answer_json, refused,"
                " latency_ms, prompt_version) VALUES (111, 111, ?, ?, ?, 0, 80.0, 'answer v1')",
                (1_700_000_000.0 + n, f"question {n}", ANSWER_JSON),
            )
        db.execute("INSERT INTO feedback VALUES (2, 111, 1, 1700000100.0)")
    history = home / "prompt-history"
    history.mkdir()
    versions = [
        {"number": 1, "author": "shipped", "at": "2024-01-01T00:00:00+00:00",
         "text": SHIPPED_REFUSAL, "note": ""},
        {"number": 2, "author": "telegram:7 @ed", "at": "2024-02-01T00:00:00+00:00",
         "text": "Not in my articles.", "note": ""},
    ]  # fmt: skip
    lines = [json.dumps(v) for v in versions]
    (history / "refusal.jsonl").write_text(lines[0] + "\n{broken line\n" + lines[1] + "\n")
    (home / "prompts").mkdir()
    (home / "prompts" / "refusal.txt").write_text("Not in my articles.\n")
    (home / "feeds.json").write_text(json.dumps({"feeds": ["https://example.org/rss", "ftp://x"]}))
    (home / "uploads" / "0123456789abcdef").mkdir(parents=True)
    (home / "uploads" / "0123456789abcdef" / "news.txt").write_text("Title\n\nBody.\n")
    return home


def test_old_files_are_imported_once(tmp_path: Path, database_url: str) -> None:
    home = old_home(tmp_path)
    state = open_shared_state(database_url, home)
    assert state.answers.count() == 2
    stats = state.answers.stats(10**10)
    assert (stats.questions, stats.thumbs_up) == (2, 1)
    library = PromptLibrary(SHIPPED_PROMPTS_DIR, state.prompts)
    assert library.template("refusal") == "Not in my articles."
    assert [(v.number, v.author) for v in library.history("refusal")] == [
        (1, "shipped"),
        (2, "telegram:7 @ed"),
    ]
    assert library.history("refusal")[1].at == "2024-02-01T00:00:00+00:00"
    assert state.feeds.urls() == ["https://example.org/rss"]  # the bad URL is skipped
    assert state.uploads.names() == {"0123456789abcdef": "news.txt"}
    # Started again (or on another replica with the same files): nothing comes in twice.
    again = open_shared_state(database_url, home)
    assert again.answers.count() == 2 and len(library.history("refusal")) == 2
    assert again.feeds.urls() == ["https://example.org/rss"] and again.uploads.count() == 1


def test_an_old_answer_is_found_by_its_new_id(tmp_path: Path, database_url: str) -> None:
    state = open_shared_state(database_url, old_home(tmp_path))
    with state.database.transaction() as db:
        from sqlalchemy import select

        from bot.state.tables import answers

        ids = list(db.scalars(select(answers.c.id).order_by(answers.c.asked_at)))
    found = state.answers.get(ids[1])
    assert found is not None and found.citations[0].chunk_id == "c1"
    assert state.answers.feedback(ids[1]) == [(111, 1)]
    assert all(i > 2 for i in ids), "old ids are not reused: they were unique on one machine only"


def test_a_template_only_ever_read_from_its_default_stays_the_default(
    tmp_path: Path, database_url: str
) -> None:
    """History without a live copy: those versions came from the default file, so the
    default stays live and an edit to it is still noticed."""
    (tmp_path / "prompt-history").mkdir()
    shipped = {"number": 1, "author": "shipped", "at": "2024-01-01T00:00:00+00:00",
               "text": "Old shipped text.", "note": ""}  # fmt: skip
    (tmp_path / "prompt-history" / "refusal.jsonl").write_text(json.dumps(shipped) + "\n")
    state = open_shared_state(database_url, tmp_path)
    library = PromptLibrary(SHIPPED_PROMPTS_DIR, state.prompts)
    assert library.template("refusal") == SHIPPED_REFUSAL
    noticed = library.notice_edits("refusal")
    assert noticed is not None and noticed.number == 2 and noticed.author == "edited on disk"


def test_damaged_old_files_are_reported_and_start_up_goes_on(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "answers.sqlite").write_bytes(b"this is not a database" * 100)
    (tmp_path / "feeds.json").write_text("{broken")
    (tmp_path / "prompt-history").mkdir()
    (tmp_path / "prompt-history" / "answer.jsonl").write_text("nonsense\n[1, 2]\n")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "answer.txt").write_text("Invalid {nope}")
    state = open_shared_state(database_url, tmp_path)
    assert state.answers.count() == 0 and state.feeds.urls() == []
    assert "can't be read" in caplog.text and "feeds.json" in caplog.text
    library = PromptLibrary(SHIPPED_PROMPTS_DIR, state.prompts)
    assert library.template("answer") == (SHIPPED_PROMPTS_DIR / "answer.txt").read_text().strip()


def database_at(database_url: str, revision: str) -> Database:
    """The empty database migrated only as far as `revision`, as an older version left it."""
    from alembic import command
    from alembic.config import Config

    old = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.transaction() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return old


def test_each_chats_memory_is_carried_into_conversation_memory(database_url: str) -> None:
    """Revision 0002 keys memory by conversation: a database at 0001 keeps each chat's."""
    from sqlalchemy import text

    from bot.answering.conversation import ConversationKey
    from bot.state.memory import StoredConversations

    old = database_at(database_url, "0001")
    with old.transaction() as connection:
        connection.execute(
            text(
                "INSERT INTO chat_memory (chat_id, turns_json, updated_at) "
                "VALUES (-1001234, :turns, 0)"
            ),
            {"turns": json.dumps([["who controls Qairawan?", "The PMU [1]."]])},
        )
    old.dispose()
    memory = StoredConversations(open_database(database_url))
    assert memory.recall(ConversationKey(-1001234)) == [("who controls Qairawan?", "The PMU [1].")]


def test_follows_and_digests_of_0005_are_kept_and_worded_in_english(database_url: str) -> None:
    """Revision 0006 keeps a language with each follow and digest: rows made before have
    none, and are pushed in English."""
    from sqlalchemy import text

    from bot.state.digests import Digests
    from bot.state.follows import FollowMatch, Follows
    from bot.telegram.pushes import HEADING, push_text

    old = database_at(database_url, "0005")
    with old.transaction() as connection:
        connection.execute(text(
            "INSERT INTO follows (chat_id, thread_id, topic, created_at) VALUES "
            "(-1001234, 0, 'the mayor of Tal Sufouq', 0), (-1001234, 7, 'the ferry', 1)"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO follow_digests (place, chat_id, timezone, at_minute, next_at, "
            "sent_keys_json) VALUES ('-1001234:0', -1001234, 'Europe/Berlin', 510, 0, '[]')"
        ))  # fmt: skip
    old.dispose()
    database = open_database(database_url)
    follows = Follows(database)
    kept = follows.everything()
    assert [(f.chat_id, f.thread_id, f.topic, f.language) for f in kept] == [
        (-1001234, None, "the mayor of Tal Sufouq", None),
        (-1001234, 7, "the ferry", None),
    ]
    found = FollowMatch(kept[0].id, kept[0].topic, "k1", "Mayor elected", "", "Wire",
                        "2024-03-05", "Jabouri was elected.", 0.9)  # fmt: skip
    due = follows.take_due(-1001234, None, [found], 600)
    assert due is not None and due.language is None
    assert push_text(due).startswith(HEADING) and "2024-03-05" in push_text(due)
    (digest,) = Digests(database).claim_due()
    assert (digest.chat_id, digest.language) == (-1001234, None)
    follows.add(-1001234, None, "the schools", "ru")  # a new follow keeps its language
    assert [f.language for f in follows.listed(-1001234, None)] == [None, "ru"]
