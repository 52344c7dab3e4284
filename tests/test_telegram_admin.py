"""Operators through Telegram: /reindex, documents and links sent to be indexed, the feed
poll, and non-admins refused with nothing indexed. Real Application, fake Bot API server."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from bot.answering.service import AnswerService
from bot.settings import SHIPPED_PROMPTS_DIR
from bot.telegram.access import ADMINS_ONLY
from bot.wiring.bot import build_bot
from bot.wiring.state import open_state
from index.embeddings import SentenceTransformerEmbeddings
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.documents import make_pdf
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fakes import RecordingChatModel
from tests.support.web_server import Page, WebServer, news_page

ADMIN = 7001
READER = 111
STORY = (
    "The council of Tal Sufouq met on Monday and elected Ahmed Jabouri as its new mayor.\n\n"
    "Jabouri said the first task was to reopen the schools that closed during the fighting."
)
StartBot = Callable[..., tuple[FakeBotAPI, AnswerService]]


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_bot(tmp_path: Path, embeddings: SentenceTransformerEmbeddings) -> Iterator[StartBot]:
    """A bot with admin ADMIN over an empty index of its own in tmp_path."""
    runner = BotRunner()

    prompts = tmp_path / "prompts"
    shutil.copytree(SHIPPED_PROMPTS_DIR, prompts)

    def start(
        chat_model: BaseChatModel | None = None, **settings: object
    ) -> tuple[FakeBotAPI, AnswerService]:
        values: dict[str, object] = {
            "NEWSDESK_ADMIN_IDS": str(ADMIN),
            "NEWSDESK_ALLOW_PRIVATE_URLS": "true",
            "NEWSDESK_FEED_POLL_MINUTES": "0",
            "NEWSDESK_PROMPTS_DIR": str(prompts),
            **settings,
        }
        parts = build_bot(
            make_settings(tmp_path, **values), embeddings=embeddings, chat_model=chat_model
        )
        fake = runner.start(lambda **telegram: make_settings(tmp_path, **values, **telegram), parts)
        return fake, parts.service

    yield start
    runner.stop_all()


def serve_feed(web: WebServer) -> str:
    """An RSS feed with one entry, whose page is served too; returns the feed's URL."""
    web.add("/story", Page(news_page("Mayor elected", STORY)))
    item = f"<item><title>Mayor</title><link>{web.url('/story')}</link><guid>urn:mayor</guid>"
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{item}</item>'
    return web.add("/rss.xml", Page(f"{rss}</channel></rss>".encode(), "application/rss+xml"))


def replies(fake: FakeBotAPI, chat_id: int, count: int) -> list[str]:
    fake.wait_for(lambda: len(fake.sent(chat_id=chat_id)) >= count)
    return [str(params["text"]) for params in fake.sent(chat_id=chat_id)]


def test_non_admins_are_refused_and_nothing_is_indexed(start_bot: StartBot, web: WebServer) -> None:
    fake, service = start_bot()
    url = web.add("/story", Page(news_page("Mayor elected", STORY)))
    fake.push_message("/reindex", chat_id=READER, user_id=READER)
    fake.push_document("story.md", b"Mayor elected\n\n" + STORY.encode(), user_id=READER)
    fake.push_message(url, chat_id=READER, user_id=READER)
    admin_commands = [
        "/prompt list",
        "/prompt show answer",
        "/prompt set refusal Hacked.",
        "/prompt diff refusal",
        "/prompt history refusal",
        "/prompt rollback refusal",
        "/prompt test answer who is the mayor?",
        "/stats",
    ]
    for command in admin_commands:
        fake.push_message(command, chat_id=READER, user_id=READER)
    expected = 3 + len(admin_commands)
    assert replies(fake, READER, expected) == [ADMINS_ONLY] * expected
    assert service.store.count() == 0 and web.requests == []
    assert "Hacked" not in service.prompts.template("refusal")
    assert service.prompts.history("refusal")[-1].author == "shipped"
    assert fake.files and not fake.sent("getFile")  # the document was never even downloaded


def test_admin_commands_are_registered_only_in_the_admins_scope(start_bot: StartBot) -> None:
    fake, _ = start_bot()
    fake.wait_for(lambda: len(fake.sent("setMyCommands")) == 6)  # English, Arabic, Russian
    everyone, admins = [c for c in fake.sent("setMyCommands") if "language_code" not in c]
    assert "reindex" not in everyone["commands"] and "scope" not in everyone
    assert "reindex" in admins["commands"]
    assert json.loads(admins["scope"]) == {"type": "chat", "chat_id": ADMIN}


def test_an_admin_document_is_indexed_and_answered_from(start_bot: StartBot) -> None:
    fake, service = start_bot()
    fake.push_document(
        "mayor.md", b"Mayor elected in Tal Sufouq\n\n" + STORY.encode(), user_id=ADMIN
    )
    (reply,) = replies(fake, ADMIN, 1)
    assert "1 new" in reply and "<b>Mayor elected in Tal Sufouq</b>" in reply
    fake.push_message("who is the mayor of Tal Sufouq?", chat_id=ADMIN, user_id=ADMIN)
    answer = replies(fake, ADMIN, 2)[1]
    assert "Ahmed Jabouri" in answer and "[1]" in answer

    fake.push_document(
        "briefing.pdf", make_pdf(["Schools reopen", "Six schools reopened."]), user_id=ADMIN
    )
    assert "1 new" in replies(fake, ADMIN, 3)[2]
    assert service.store.overview().articles == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.png", b"\x89PNG\r\n", "I can't index photo.png: send one of"),
        ("notes.txt", b"\x00\x01binary", "binary file"),
        ("notes.md", "Caf\xe9\nbody".encode("latin-1"), "not valid UTF-8"),
        ("empty.json", b"", "empty file"),
    ],
)
def test_a_bad_document_is_refused_and_the_indexed_version_kept(
    start_bot: StartBot, name: str, content: bytes, reason: str
) -> None:
    fake, service = start_bot()
    good = f"{Path(name).stem} v1\n\n{STORY}".encode()
    if name.endswith((".txt", ".md")):
        fake.push_document(name, good, user_id=ADMIN)
        replies(fake, ADMIN, 1)
    before = service.store.all_ids()
    sent_before = len(fake.sent(chat_id=ADMIN))
    fake.push_document(name, content, user_id=ADMIN)
    last = replies(fake, ADMIN, sent_before + 1)[-1]
    assert reason in last
    assert service.store.all_ids() == before


def test_an_admin_link_is_fetched_and_indexed(start_bot: StartBot, web: WebServer) -> None:
    fake, service = start_bot()
    url = web.add("/story", Page(news_page("Mayor elected", STORY)))
    fake.push_message(f"{url}  {web.url('/missing')}", chat_id=ADMIN, user_id=ADMIN)
    fetching, report = replies(fake, ADMIN, 2)
    assert fetching == "Fetching 2 pages..."
    assert (
        "1 new" in report
        and f"Skipped {web.url('/missing')}: the server answered HTTP 404" in report
    )
    assert service.store.has_article(url)


def test_reindex_resyncs_sources_uploads_and_feeds(
    start_bot: StartBot, web: WebServer, tmp_path: Path
) -> None:
    sources = tmp_path / "desk"
    sources.mkdir()
    (sources / "one.txt").write_text(f"First story\n\n{STORY}")
    open_state(make_settings(tmp_path)).feeds.add(serve_feed(web))
    fake, service = start_bot(NEWSDESK_SOURCES=str(sources))
    fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    started, report = replies(fake, ADMIN, 2)
    assert started.startswith("Re-indexing")
    assert "2 articles read (2 new" in report
    assert "0 errors" in report  # no upload yet: the uploads folder is empty, not missing
    (sources / "one.txt").unlink()
    fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    assert "1 articles pruned" in replies(fake, ADMIN, 4)[3]
    assert service.store.overview().articles == 1


def test_the_feed_poll_runs_on_schedule(
    start_bot: StartBot, web: WebServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_state(make_settings(tmp_path)).feeds.add(serve_feed(web))
    with caplog.at_level(logging.INFO, logger="bot.telegram.admin"):
        fake, service = start_bot(NEWSDESK_FEED_POLL_MINUTES="0.01")
        fake.wait_for(lambda: service.store.has_article("urn:mayor"), timeout=60)
        fake.wait_for(lambda: "feed poll added: Mayor elected" in caplog.text, timeout=30)
    assert "/story" in web.requests
    assert "feed poll: 1 articles read (1 new" in caplog.text


def test_an_admin_tunes_a_prompt_from_telegram(start_bot: StartBot, tmp_path: Path) -> None:
    model = RecordingChatModel(responses=["Ahmed Jabouri is the mayor [1]."])
    fake, service = start_bot(chat_model=model)
    fake.push_document(
        "mayor.md", b"Mayor elected in Tal Sufouq\n\n" + STORY.encode(), user_id=ADMIN
    )
    replies(fake, ADMIN, 1)

    def send(text: str, reply_to: dict[str, object] | None = None) -> str:
        count = len(fake.sent(chat_id=ADMIN))
        fake.push_message(text, chat_id=ADMIN, user_id=ADMIN, reply_to=reply_to)
        return replies(fake, ADMIN, count + 1)[-1]

    assert send("/prompt set answer Just answer: {question}").startswith(
        "Not done: prompt 'answer' lacks placeholder {passages}. Version 1 stays live."
    )
    assert send("/prompt set answer {question:>20000000} {passages}").startswith(
        "Not done: prompt 'answer': placeholder {question:>20000000} has a format spec"
    )
    answer_v1 = service.prompts.template("answer")
    new_answer = "Passages:\n{passages}\n\nCite [n]. Question: {question}\nAnswer:"
    assert send(f"/prompt set answer {new_answer}") == (
        "Published answer version 2; it is live for the next question."
    )
    assert service.prompts.template("answer") == new_answer  # live: read from the database
    assert (tmp_path / "prompts" / "answer.txt").read_text().strip() != new_answer
    diff = send("/prompt diff answer")
    assert "+Cite [n]. Question: {question}" in diff and "-You answer questions" in diff
    assert "telegram:7001" in send("/prompt history answer")

    candidate = {"message_id": 77, "date": 0, "chat": {"id": ADMIN, "type": "private"},
                 "text": "TRIAL {passages} {question}"}  # fmt: skip
    tried = send("/prompt test answer who is the mayor of Tal Sufouq?", reply_to=candidate)
    assert tried.startswith("[candidate answer]") and "Ahmed Jabouri is the mayor [1]" in tried
    assert model.prompts[-1].startswith("TRIAL ") and "who is the mayor" in model.prompts[-1]
    assert service.prompts.template("answer") == new_answer  # the candidate was not published

    held = {"message_id": 78, "date": 0, "chat": {"id": ADMIN, "type": "private"},
            "text": "Nothing on that in the articles."}  # fmt: skip
    assert "Published refusal version 2" in send("/prompt set refusal", reply_to=held)
    assert service.prompts.template("refusal") == "Nothing on that in the articles."

    assert "version 3 (rollback to version 1) is live" in send("/prompt rollback answer")
    assert service.prompts.template("answer") == answer_v1
    assert "refusal: version 2" in send("/prompt list")
    assert "Not done: unknown prompt 'secret'" in send("/prompt show secret")
