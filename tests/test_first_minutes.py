"""A new operator's first minutes: an empty index says so and how to fill it (CLI, local chat,
Telegram), a folder with no articles is an error naming it, `feeds add` reads the feed once and
refuses what isn't one, the CLI speaks the CLI's words, and `newsdesk status` shows the home."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.service import EMPTY_INDEX
from bot.cli.main import main
from bot.wiring.bot import build_bot
from index.embeddings import SentenceTransformerEmbeddings
from tests.conftest import SEED_DIR, make_settings
from tests.support.bot_runner import BotRunner
from tests.support.postgres import PostgresServer
from tests.support.web_server import Page, WebServer, news_page

HOW_TO_INDEX = "newsdesk index FILE_OR_FOLDER_OR_URL"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # no .env from the project directory
    return tmp_path / "home"


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("question", ["", "   "])
def test_an_empty_question_on_the_cli_says_how_to_ask_one(
    home: Path, question: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", question]) == 2
    err = capsys.readouterr().err
    assert 'newsdesk ask "who controls Qairawan?"' in err
    assert "send your question" not in err  # Telegram's wording
    assert not home.exists()  # refused before anything was opened


def test_an_empty_index_says_so_and_how_to_index_on_the_cli(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "who controls Qairawan?"]) == 0
    out = capsys.readouterr().out
    assert "Nothing is indexed yet" in out and HOW_TO_INDEX in out
    assert "don't cover" not in out
    assert main(["ask", "--json", "who controls Qairawan?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["refused"] and answer["answer"] == EMPTY_INDEX


def test_an_empty_index_says_so_in_the_local_chat(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat"], stdin=io.StringIO("who controls Qairawan?\n")) == 0
    out = capsys.readouterr().out
    assert EMPTY_INDEX in out and out.rstrip().endswith("bye")


def test_an_index_with_articles_still_refuses_with_the_refusal(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", "--quiet", str(SEED_DIR)]) == 0
    capsys.readouterr()
    assert main(["ask", "What is the population of Baghdad?"]) == 0
    out = capsys.readouterr().out
    assert "don't cover" in out and "Nothing is indexed" not in out


def test_an_empty_index_says_so_in_telegram(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    settings = make_settings(tmp_path)
    services = build_bot(settings, embeddings=embeddings)
    runner = BotRunner()
    try:
        fake = runner.start(lambda **values: make_settings(tmp_path, **values), services)
        fake.push_message("who controls Qairawan?")
        fake.wait_for(lambda: len(fake.sent(chat_id=111)) >= 1)
        (reply,) = [str(params["text"]) for params in fake.sent(chat_id=111)]
    finally:
        runner.stop_all()
    assert "Nothing is indexed yet" in reply and "don't cover" not in reply


@pytest.mark.parametrize("files", [{}, {"notes.docx": b"PK\x03\x04", "photo.png": b"\x89PNG"}])
def test_a_folder_without_articles_is_an_error_naming_it(
    home: Path, tmp_path: Path, files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    assert main(["index", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"found no articles in {folder}" in err and ".jsonl" in err


def test_feeds_add_reads_the_feed_once(
    home: Path, web: WebServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire feed</title>'
        "<item><title>Qairawan</title><link>https://example.org/a</link></item>"
        "<item><title>Baaj</title><link>https://example.org/b</link></item></channel></rss>"
    )
    url = web.add("/rss.xml", Page(feed.encode(), "application/rss+xml"))
    assert main(["feeds", "add", url]) == 0
    assert f"added {url}: 'Wire feed', 2 entries now" in capsys.readouterr().out
    assert web.requests == ["/rss.xml"]  # the feed alone: its entries wait for a poll
    assert main(["feeds", "add", url]) == 0
    assert f"{url} is listed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (Page(news_page("A page", "Not a feed at all.")), "content type 'text/html'"),
        (Page(b"<html><body>no</body></html>", "application/xml"), "not an RSS or Atom feed"),
        (Page(b"", "application/rss+xml"), "not an RSS or Atom feed"),
        (Page(b"gone", "text/plain", status=404), "404"),
    ],
)
def test_feeds_add_refuses_what_is_not_a_feed_with_the_reason(
    home: Path,
    web: WebServer,
    page: Page,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")
    url = web.add("/feed", page)
    assert main(["feeds", "add", url]) == 2
    err = capsys.readouterr().err
    assert f"{url} was not added" in err and reason in err
    assert main(["feeds", "list"]) == 0
    assert "no feeds yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "reason"),
    [("ftp://example.org/rss", "not an http(s) feed URL"), ("not a url", "not an http(s)")],
)
def test_feeds_add_refuses_a_malformed_url_without_fetching(
    home: Path, url: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feeds", "add", url]) == 2
    assert reason in capsys.readouterr().err


def test_feeds_add_refuses_a_private_address_unless_allowed(
    home: Path, web: WebServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = web.add("/rss.xml", Page(b"<rss/>", "application/rss+xml"))
    assert main(["feeds", "add", url]) == 2
    assert "127.0.0.1" in capsys.readouterr().err
    assert web.requests == []


def test_status_on_a_fresh_home_creates_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "index:      empty: nothing indexed yet" in out
    assert "model:      all-MiniLM-L6-v2 (auto: onnx-int8 for a new index)" in out
    assert "LLM:        none" in out and "(not created yet)" in out
    assert "job queue:  no jobs yet" in out
    assert not home.exists()


def test_status_shows_the_index_and_the_queue(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = tmp_path / "articles.jsonl"
    articles.write_text(
        json.dumps({"title": "Bridge opens", "text": "A bridge opened.", "published": "2017-05-01"})
        + "\n"
        + json.dumps({"title": "Dam closes", "text": "A dam closed.", "published": "2019-02-03"})
        + "\n"
    )
    assert main(["index", "--quiet", str(articles)]) == 0
    assert main(["feeds", "list"]) == 0  # the database now exists
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "2 articles in 2 chunks, published 2017-05-01 to 2019-02-03" in out
    assert "model:      all-MiniLM-L6-v2 (auto: all-MiniLM-L6-v2/onnx-int8)" in out
    assert "job queue:  0 queued, 0 running" in out
    assert f"SQLite {home / 'newsdesk.sqlite'}" in out and "not created" not in out


def test_status_hides_the_database_password(
    home: Path,
    postgres: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSDESK_DATABASE_URL", postgres.new_database())
    monkeypatch.setenv("NEWSDESK_LLM", "openai:gpt-4o-mini")
    monkeypatch.setenv("NEWSDESK_LLM_API_KEY", "sk-status-secret")
    assert main(["status"]) == 0
    captured = capsys.readouterr()
    assert "job queue:  0 queued, 0 running" in captured.out
    assert "database:   postgresql+psycopg://postgres:[REDACTED]@127.0.0.1:" in captured.out
    assert postgres.password not in captured.out + captured.err
    assert "sk-status-secret" not in captured.out + captured.err
    assert "LLM:        openai:gpt-4o-mini" in captured.out
