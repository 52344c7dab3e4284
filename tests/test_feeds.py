"""Feeds: the operator's list, RSS and Atom parsing, entry pages fetched, polling from the CLI
skips what is indexed, and --prune follows feeds removed from the list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.wiring.state import open_state
from index.articles import Article, LoadProblem
from index.ingest.feeds import FeedListError, read_feed_file
from index.ingest.fetch import FetchPolicy
from index.ingest.web import MAX_FEED_ENTRIES, load_feed
from tests.conftest import make_settings
from tests.support.web_server import Page, WebServer, news_page

LOCAL = FetchPolicy(allow_private=True, timeout_seconds=5)
BODY = (
    "Iraqi forces retook the western half of the city after a long siege.\n\n"
    "Commanders said the militia known as the PMU controls the town of {place}."
)


def rss(web: WebServer, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{web.url(path)}</link>"
        f"<guid>urn:wire:{path}</guid><pubDate>Fri, 26 May 2017 10:00:00 GMT</pubDate></item>"
        for title, path in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire feed</title>'
        f"<link>{web.base}</link>{entries}</channel></rss>"
    ).encode()


def atom(web: WebServer, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f'<entry><title>{title}</title><link href="{path}"/><id>tag:wire,2017:{path}</id>'
        f"<updated>2017-05-27T10:00:00Z</updated></entry>"
        for title, path in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom wire</title><id>tag:wire</id><updated>2017-05-27T10:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    for place in ("Qairawan", "Tal Afar", "Baaj"):
        slug = place.lower().replace(" ", "-")
        server.add(
            f"/news/{slug}", Page(news_page(f"Fighting near {place}", BODY.format(place=place)))
        )
    yield server
    server.stop()


def test_the_feed_list_is_kept_and_checked(tmp_path: Path) -> None:
    feeds = open_state(make_settings(tmp_path)).feeds
    assert feeds.urls() == []
    assert feeds.add("https://example.org/rss.xml") and not feeds.add("https://example.org/rss.xml")
    assert feeds.add("http://example.com/atom")
    assert feeds.urls() == ["https://example.org/rss.xml", "http://example.com/atom"]
    assert feeds.remove("https://example.org/rss.xml") and not feeds.remove("https://nope.org/")
    assert open_state(make_settings(tmp_path)).feeds.urls() == ["http://example.com/atom"]
    with pytest.raises(FeedListError, match="not an http"):
        feeds.add("file:///etc/passwd")


def test_an_old_feed_list_file_is_read_or_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "feeds.json").write_text('{"feeds": ["https://example.org/rss.xml"]}')
    assert read_feed_file(tmp_path / "feeds.json") == ["https://example.org/rss.xml"]
    assert read_feed_file(tmp_path / "none.json") == []
    (tmp_path / "feeds.json").write_text("{broken")
    with pytest.raises(FeedListError, match="can't be read"):
        read_feed_file(tmp_path / "feeds.json")
    (tmp_path / "feeds.json").write_text('["a list"]')
    with pytest.raises(FeedListError, match="should hold"):
        read_feed_file(tmp_path / "feeds.json")


def test_rss_and_atom_entries_become_articles_identified_by_guid(web: WebServer) -> None:
    rss_url = web.add(
        "/rss.xml",
        Page(
            rss(web, [("Qairawan", "/news/qairawan"), ("Dead link", "/news/missing")]),
            "application/rss+xml",
        ),
    )
    loaded = list(load_feed(rss_url, LOCAL, lambda key: False))
    article, problem = loaded
    assert isinstance(article, Article) and isinstance(problem, LoadProblem)
    assert article.key == "urn:wire:/news/qairawan" and article.origin == f"feed:{rss_url}"
    assert article.url == web.url("/news/qairawan") and "Qairawan" in article.text
    assert problem.where == web.url("/news/missing") and "HTTP 404" in problem.reason

    atom_url = web.add(
        "/atom", Page(atom(web, [("Tal Afar", "/news/tal-afar")]), "application/atom+xml")
    )
    (entry,) = list(load_feed(atom_url, LOCAL, lambda key: False))
    assert isinstance(entry, Article)
    assert entry.key == "tag:wire,2017:/news/tal-afar" and entry.published == "2017-05-26"


def test_entries_already_indexed_are_not_fetched_again(web: WebServer) -> None:
    url = web.add("/rss.xml", Page(rss(web, [("Qairawan", "/news/qairawan")]), "text/xml"))
    assert list(load_feed(url, LOCAL, lambda key: key == "urn:wire:/news/qairawan")) == []
    assert web.requests == ["/rss.xml"]


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (Page(b"<html><body>not a feed</body></html>", "application/xml"), "not an RSS or Atom"),
        (Page(news_page("A page", BODY)), "content type 'text/html'"),
    ],
)
def test_something_that_is_not_a_feed_is_named(web: WebServer, page: Page, reason: str) -> None:
    url = web.add("/feed", page)
    (problem,) = list(load_feed(url, LOCAL, lambda key: False))
    assert isinstance(problem, LoadProblem) and reason in problem.reason


def test_cli_feeds_are_polled_incrementally_and_pruned_when_removed(
    web: WebServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")
    wire = web.add(
        "/rss.xml",
        Page(
            rss(web, [("Qairawan", "/news/qairawan"), ("Tal Afar", "/news/tal-afar")]),
            "application/rss+xml",
        ),
    )
    other = web.add("/atom", Page(atom(web, [("Baaj", "/news/baaj")]), "application/atom+xml"))
    assert main(["index", "--feeds"]) == 2
    assert "no feeds are listed yet" in capsys.readouterr().err
    assert main(["feeds", "add", wire]) == 0 and main(["feeds", "add", other]) == 0
    assert main(["feeds", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [wire, other]

    assert main(["index", "--feeds"]) == 0
    assert "3 articles read (3 new" in capsys.readouterr().out
    web.requests.clear()
    assert main(["index", "--feeds"]) == 0
    assert web.requests == ["/rss.xml", "/atom"]  # the entry pages were not fetched again
    assert "index already up to date: nothing embedded" in capsys.readouterr().out

    assert main(["ask", "--json", "who controls Baaj?"]) == 0
    assert "Baaj" in json.loads(capsys.readouterr().out)["answer"]
    assert main(["feeds", "remove", other]) == 0
    assert main(["index", "--feeds", "--prune"]) == 0
    assert "1 articles pruned" in capsys.readouterr().out
    assert main(["feeds", "remove", other]) == 2


def test_cli_refuses_private_urls_unless_allowed(
    web: WebServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    url = web.url("/news/qairawan")
    assert main(["index", url]) == 1
    assert f"skipped {url}: 127.0.0.1" in capsys.readouterr().err
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")
    assert main(["index", url]) == 0
    assert "1 articles read (1 new" in capsys.readouterr().out


def test_a_huge_feed_is_read_only_up_to_its_newest_entries(web: WebServer) -> None:
    items = [(f"Story {n}", f"/news/{n}") for n in range(MAX_FEED_ENTRIES + 50)]
    url = web.add("/big.xml", Page(rss(web, items), "application/rss+xml"))
    checked: list[str] = []

    def already_indexed(key: str) -> bool:
        checked.append(key)
        return True

    assert list(load_feed(url, LOCAL, already_indexed)) == []
    assert len(checked) == MAX_FEED_ENTRIES and checked[0] == "urn:wire:/news/0"
