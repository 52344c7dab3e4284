"""What a reader is told when something behind the bot fails: no path, URL or connection
string (the log has them); and a question that met a locked database, kept unfinished, is
answered once the lock is gone. Real Application, fake Bot API, a real SQLite database
locked by another connection."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.redaction import without_locations
from bot.telegram.app import DATABASE_BUSY
from bot.telegram.journal import UpdateJournal
from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner


def test_a_locked_database_shows_no_path_and_the_question_is_answered_when_it_frees(
    tmp_path: Path, seed_bot: BotServices, caplog: pytest.LogCaptureFixture
) -> None:
    """It said "the database sqlite:////…/newsdesk.sqlite failed: database is locked" and
    marked the question finished."""
    state = tmp_path / "state.sqlite"
    url = f"sqlite:///{state}?timeout=1"  # a lock waited for 1 s, not 30
    runner = BotRunner()
    fake = runner.start(
        lambda **v: make_settings(tmp_path, NEWSDESK_DATABASE_URL=url, **v), seed_bot
    )

    def lock_failures() -> int:
        return sum("database is locked" in r.getMessage() for r in caplog.records)

    holder = sqlite3.connect(state, isolation_level=None)
    try:
        with caplog.at_level(logging.WARNING):
            holder.execute("BEGIN EXCLUSIVE")
            fake.push_message("who controls Qairawan?")
            fake.wait_for(lambda: bool(fake.delivered()), timeout=30)
            fake.wait_for(lambda: lock_failures() >= 2, timeout=30)  # tried again, still locked
            told = fake.delivered()
            holder.execute("COMMIT")
            fake.wait_for(lambda: len(fake.delivered()) >= 2, timeout=60)
    finally:
        holder.close()
        runner.stop_all()
    assert told == [DATABASE_BUSY], "told once, in plain words"
    assert str(tmp_path) not in told[0] and "sqlite" not in told[0]
    assert "Qairawan" in fake.delivered()[1] and len(fake.delivered()) == 2
    logged = [r.getMessage() for r in caplog.records if "database is locked" in r.getMessage()]
    assert all(str(state) in line for line in logged), "the log says which database"
    assert UpdateJournal(tmp_path / "updates.sqlite").unfinished() == [], "finished at last"


@pytest.mark.parametrize(
    ("message", "told"),
    [
        ("the database sqlite:////srv/nd/newsdesk.sqlite failed: database is locked",
         "the database (withheld) failed: database is locked"),
        ("the database postgresql+psycopg://newsdesk:***@db:5432/newsdesk failed: gone",
         "the database (withheld) failed: gone"),
        ("could not open Chroma at /data/chroma: disk I/O error",
         "could not open Chroma at (withheld): disk I/O error"),
        ("can't read prompt 'help' from ~/nd/prompts/help.txt: [Errno 2] 'C:\\nd\\help.txt'",
         "can't read prompt 'help' from (withheld): [Errno 2] '(withheld)"),
        ("send /prompt set answer, 1/2 and/or more", "send /prompt set answer, 1/2 and/or more"),
    ],
)  # fmt: skip
def test_what_a_reader_is_told_of_an_error_names_no_location(message: str, told: str) -> None:
    """Every NewsdeskError a handler raises reaches the reader through `on_error`, this
    applied: a prompt file, the store's folder, the database's URL are the operator's."""
    assert without_locations(message) == told
