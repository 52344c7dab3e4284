"""SIGTERM during a /reindex: a real `newsdesk bot` process polling the fake Bot API stops
taking updates, lets the batch it is writing commit and exits with status 0 within
NEWSDESK_SHUTDOWN_SECONDS; started again, it tells the admin and carries the /reindex on
where it stopped, and the index ends with every article's chunk once."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.state.jobs import DONE
from bot.wiring.state import open_state
from index.articles import Article
from index.chroma_client import open_store
from index.chunking import chunk_article
from index.ingest.loaders import load_paths
from tests.conftest import make_settings
from tests.support.bot_runner import TOKEN, start_bot_process
from tests.support.fake_telegram import FakeBotAPI

ADMIN = 7001
READER = 111
# One-chunk articles: twelve embedding batches of 512, so a SIGTERM after the first lands
# with most of the run still to do.
ARTICLES = 6000
SHUTDOWN_SECONDS = 20.0  # NEWSDESK_SHUTDOWN_SECONDS' default
ADDED = re.compile(r"Still indexing \(\d+ s\): \d+ articles read .*?, (\d+) chunks added")
REPORT = re.compile(r"\d+ articles read")


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def write_articles(path: Path) -> None:
    records = (
        {
            "id": n,
            "title": f"Council {n}",
            "text": f"The council of district {n} met on Monday and voted on budget item "
            f"{n * 7}. Residents of district {n} asked about roads and schools.",
        }
        for n in range(ARTICLES)
    )
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(params["text"]) for params in fake.sent(chat_id=chat_id)]


def told(fake: FakeBotAPI) -> list[str]:
    return [text for text in texts(fake, ADMIN) if "was stopped by a restart" in text]


def reports(fake: FakeBotAPI) -> list[str]:
    return [text for text in texts(fake, ADMIN) if REPORT.match(text)]


def chunks_added_so_far(fake: FakeBotAPI) -> int:
    found = [ADDED.search(text) for text in texts(fake, ADMIN)]
    return max((int(match.group(1)) for match in found if match), default=0)


def test_sigterm_during_reindex_exits_in_time_and_the_reindex_resumes_after_a_restart(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    home, articles = tmp_path / "home", tmp_path / "articles.jsonl"
    write_articles(articles)
    settings = {
        "NEWSDESK_ADMIN_IDS": str(ADMIN),
        "NEWSDESK_SOURCES": str(articles),
        "NEWSDESK_INDEX_PROGRESS_SECONDS": "0.5",
    }
    bot = start_bot_process(home, fake, log=tmp_path / "bot.log", **settings)
    try:
        fake.wait_for(lambda: any(name == "setMyCommands" for name, _ in fake.calls), 300)
        fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
        fake.wait_for(lambda: chunks_added_so_far(fake) >= 512, timeout=300)
        bot.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        reported_before_the_stop = chunks_added_so_far(fake)
        time.sleep(0.5)
        fake.push_message("who voted on budget item 70?", chat_id=READER, user_id=READER)
        code = bot.wait(timeout=120)
        seconds = time.monotonic() - stopping
        print(f"SIGTERM to exit: {seconds:.1f} s, status {code}")
        assert code == 0 and seconds < SHUTDOWN_SECONDS
        assert not [text for text in texts(fake, ADMIN) if REPORT.match(text)]
        assert texts(fake, READER) == []  # polling had stopped: it waits for the next start
        job = open_state(make_settings(home)).jobs.get(1)
        assert job is not None
        assert (job.kind, job.status, job.chat_id) == ("reindex", "running", ADMIN)

        bot = start_bot_process(home, fake, log=tmp_path / "bot.log", **settings)
        fake.wait_for(lambda: bool(told(fake)), timeout=300)
        fake.wait_for(lambda: bool(reports(fake)), timeout=600)
        fake.wait_for(lambda: len(texts(fake, READER)) == 1)  # the question, answered once
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=120)

    assert told(fake) == [
        "Job 1 (reindex) was stopped by a restart of the bot before it finished: it runs again "
        "now, carrying on where it stopped, and its report follows."
    ]
    (report,) = reports(fake)
    counts = re.match(
        rf"{ARTICLES} articles read \((\d+) new, 0 changed, (\d+) unchanged\)", report
    )
    assert counts is not None, report
    new, unchanged = map(int, counts.groups())
    print(f"resumed: {unchanged} articles kept from before the stop, {new} indexed after it")
    assert new + unchanged == ARTICLES and unchanged >= reported_before_the_stop > 0 and new > 0
    assert len(texts(fake, READER)) == 1

    # Every article's chunk is stored once, with its vector: nothing lost, nothing twice.
    read = [item for item in load_paths([articles]) if isinstance(item, Article)]
    expected = {chunk.id for article in read for chunk in chunk_article(article)}
    store = open_store(make_settings(home).collection, path=home / "chroma")
    stored = store.all_ids()
    assert len(stored) == len(set(stored)) == len(expected) == ARTICLES
    assert set(stored) == expected and store.unreadable(stored) == set()
    done = open_state(make_settings(home)).jobs.get(1)
    assert done is not None and done.status == DONE
