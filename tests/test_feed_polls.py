"""A feed poll has one deadline for all its feeds and entry pages, and an entry whose page
failed is tried again with backoff, on record in the shared database, not at every poll.
Entry pages that hang are served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.wiring.indexing import build_indexer
from bot.wiring.state import open_state
from index.articles import Article, LoadProblem
from index.indexer import Indexer
from index.ingest.polling import EntryFailure, failed_again
from index.ingest.sources import Sources
from tests.conftest import make_settings
from tests.support.web_server import Page, WebServer, news_page
from tests.test_feeds import BODY, rss

FETCH_SECONDS = 1.0
DEADLINE_SECONDS = 3.0
HANGING = 8
# Time a poll may take past its deadline: the feed parsed, the last fetch given up.
SLACK_SECONDS = 1.5


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


def hanging_feed(web: WebServer) -> str:
    """A feed of HANGING entries whose pages answer after a minute, then two that answer."""
    items = [(f"Stuck {n}", f"/stuck/{n}") for n in range(HANGING)]
    items += [("Qairawan", "/news/qairawan"), ("Baaj", "/news/baaj")]
    for title, path in items:
        delay = 60.0 if path.startswith("/stuck") else 0.0
        place = title.split()[0]
        web.add(path, Page(news_page(title, BODY.format(place=place)), delay=delay))
    return web.add("/rss.xml", Page(rss(web, items), "application/rss+xml"))


def indexer_for(home: Path, fetch_seconds: float = FETCH_SECONDS) -> Indexer:
    """Built as `newsdesk index --feeds` and the bot build theirs."""
    settings = make_settings(
        home,
        NEWSDESK_ALLOW_PRIVATE_URLS="true",
        NEWSDESK_FETCH_TIMEOUT_SECONDS=fetch_seconds,
        NEWSDESK_FEED_POLL_DEADLINE_SECONDS=DEADLINE_SECONDS,
    )
    return build_indexer(settings, entry_retries=open_state(settings).feed_entry_failures)


def poll(indexer: Indexer, *feeds: str) -> tuple[list[Article | LoadProblem], float]:
    started = time.monotonic()
    loaded = list(indexer.load(Sources(feeds=list(feeds), poll_feeds=True)))
    return loaded, time.monotonic() - started


def stuck_requests(web: WebServer) -> list[str]:
    return [path for path in web.requests if path.startswith("/stuck/")]


def test_hanging_entry_pages_are_cut_at_the_deadline_and_not_fetched_again_every_poll(
    web: WebServer, tmp_path: Path
) -> None:
    url = hanging_feed(web)
    indexer = indexer_for(tmp_path)
    durations, problems = [], []
    while len(set(stuck_requests(web))) < HANGING:  # each poll reaches a few more of them
        loaded, seconds = poll(indexer, url)
        durations.append(seconds)
        problems.append([item for item in loaded if isinstance(item, LoadProblem)])
        assert len(durations) <= HANGING
    print(f"polls until every hanging page was tried once: {[round(d, 1) for d in durations]} s")
    assert max(durations) < DEADLINE_SECONDS + SLACK_SECONDS
    assert len(stuck_requests(web)) == HANGING  # none was fetched twice
    first = problems[0]
    assert first[0].reason == "timed out after 1 s (failed 1x; tried again in 15 min)"
    assert first[-1] == LoadProblem(
        url,
        "the feed poll's deadline of 3 s passed (NEWSDESK_FEED_POLL_DEADLINE_SECONDS): "
        "the rest of its entries wait for the next poll",
        origin=f"feed:{url}",
    )

    # Every hanging entry waits for its turn now: a poll fetches the feed and what answers.
    loaded, seconds = poll(indexer, url)
    assert sorted(item.title for item in loaded if isinstance(item, Article)) == [
        "Baaj",
        "Qairawan",
    ]
    assert seconds < SLACK_SECONDS and len(stuck_requests(web)) == HANGING

    # Their turn comes (as 15 minutes later), and the pages answer by then.
    failures = open_state(make_settings(tmp_path)).feed_entry_failures
    for n in range(HANGING):
        web.pages[f"/stuck/{n}"].delay = 0.0
        before = failures.get(f"urn:wire:/stuck/{n}")
        assert before is not None and before.failures == 1
        failures.failed(f"urn:wire:/stuck/{n}", EntryFailure(1, time.time() - 1), "as before")
    loaded, _ = poll(indexer, url)
    fetched = sorted(item.title for item in loaded if isinstance(item, Article))
    assert fetched == sorted(["Qairawan", "Baaj", *(f"Stuck {n}" for n in range(HANGING))])
    assert failures.get("urn:wire:/stuck/0") is None  # forgotten once it was read


def test_a_failure_again_doubles_the_wait_up_to_a_day(tmp_path: Path) -> None:
    failures = open_state(make_settings(tmp_path)).feed_entry_failures
    now = time.time()
    waits = []
    record = None
    for _ in range(9):
        record = failed_again(record, now)
        failures.failed("urn:entry", record, "HTTP 503")
        stored = failures.get("urn:entry")
        assert stored == record
        waits.append(round((record.retry_at - now) / 60))
    assert waits == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


def test_the_deadline_holds_for_every_feed_of_the_poll_and_cuts_a_feed_fetch_too(
    web: WebServer, tmp_path: Path
) -> None:
    hanging = web.add("/slow.xml", Page(b"<rss/>", "application/rss+xml", delay=60.0))
    other = hanging_feed(web)
    # Each fetch may take 10 s, but the poll as a whole only 3 s.
    loaded, seconds = poll(indexer_for(tmp_path, fetch_seconds=10.0), hanging, other)
    assert seconds < DEADLINE_SECONDS + SLACK_SECONDS
    assert loaded == [
        LoadProblem(hanging, "timed out after 3 s", origin=f"feed:{hanging}"),
        LoadProblem(
            other,
            "the feed poll's deadline of 3 s passed (NEWSDESK_FEED_POLL_DEADLINE_SECONDS): "
            "this feed and its entries wait for the next poll",
            origin=f"feed:{other}",
        ),
    ]
    assert web.requests == ["/slow.xml"]
