"""Processes sharing one embedded store (NEWSDESK_HOME): two `newsdesk index` runs at once, and
the bot answering while another process indexes. Chroma's PersistentClient is not
process-safe: without the writer lock two runs lost each other's vectors for good, and a bot
kept the vector index it had loaded, so questions about newly indexed articles failed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.telegram.app import APOLOGY
from bot.wiring.bot import build_bot
from index.chroma_client import open_store
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI

COLLECTION = "newsdesk-articles"
# Enough one-chunk articles for each run to write two embedding batches (of 512).
ARTICLES_PER_RUN = 520


def write_articles(folder: Path, count: int, town: str) -> None:
    for n in range(count):
        path = folder / f"{town}-{n:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"{town} story {n}\n\nThe council of {town} district {n} met on Monday and voted on "
            f"budget item {n * 7}. Residents asked about roads and schools.\n",
            encoding="utf-8",
        )


def start_index(home: Path, *sources: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSDESK_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "index", *map(str, sources)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out, err


def test_two_index_runs_at_once_keep_every_chunk_and_vector(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_articles(tmp_path / "north", ARTICLES_PER_RUN, "Northfield")
    write_articles(tmp_path / "south", ARTICLES_PER_RUN, "Southmoor")
    runs = [start_index(home, tmp_path / "north"), start_index(home, tmp_path / "south")]
    outputs = [finish(run) for run in runs]

    # One run waited for the other, and said so.
    waited = [err for _, err in outputs if "is writing to this index; waiting" in err]
    assert len(waited) == 1, [err[-500:] for _, err in outputs]
    for out, _ in outputs:
        assert f"{ARTICLES_PER_RUN} chunks added" in out and "0 errors" in out
    # Opened only now: this process holds no client state from before the runs.
    store = open_store(COLLECTION, path=home / "chroma")
    ids = store.all_ids()
    assert len(ids) == 2 * ARTICLES_PER_RUN
    assert store.unreadable(ids) == set()
    assert len(store.get_with_vectors(ids)) == len(ids)


@pytest.fixture
def runner() -> Iterator[BotRunner]:
    runner = BotRunner()
    yield runner
    runner.stop_all()


def ask(fake: FakeBotAPI, question: str) -> str:
    before = len(fake.sent(chat_id=111))
    fake.push_message(question)
    fake.wait_for(lambda: len(fake.sent(chat_id=111)) > before)
    return str(fake.sent(chat_id=111)[before]["text"])


def test_the_bot_answers_about_articles_another_process_is_indexing(
    tmp_path: Path, runner: BotRunner
) -> None:
    home = tmp_path / "home"
    write_articles(tmp_path / "old", 20, "Oldbury")
    finish(start_index(home, tmp_path / "old"))
    services = build_bot(make_settings(home))
    # The keyword index refreshed every second, and no limit on one person's questions.
    bot_settings = {"NEWSDESK_KEYWORD_REFRESH_SECONDS": 1, "NEWSDESK_RATE_LIMIT_PER_MINUTE": 0}
    fake = runner.start(lambda **values: make_settings(home, **values), services, **bot_settings)
    replies = [ask(fake, "what did the Oldbury district 3 council vote on?")]
    assert "Oldbury" in replies[0]

    new = tmp_path / "new"
    write_articles(new, 160, "Newhaven")
    (new / "dam.txt").write_text(
        "Velmora dam opened\n\nThe Velmora dam was opened on Friday by the engineer Ilse "
        "Tashkentova, who led its construction for nine years.\n",
        encoding="utf-8",
    )
    indexing = start_index(home, new)
    while indexing.poll() is None:  # questions keep being answered while it writes
        replies.append(ask(fake, "who opened the Velmora dam?"))
        time.sleep(0.5)
    finish(indexing)
    # Within a few of the bot's refreshes (every second here), the new article is found.
    deadline = time.monotonic() + 30
    while "Tashkentova" not in replies[-1] and time.monotonic() < deadline:
        time.sleep(1)
        replies.append(ask(fake, "who opened the Velmora dam?"))
    replies.append(ask(fake, "what did the Newhaven district 150 council vote on?"))
    assert not [reply for reply in replies if APOLOGY in reply]
    assert "Tashkentova" in replies[-2]
    assert "budget item 1050" in replies[-1]
