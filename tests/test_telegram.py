"""End to end: the real Application polls our fake Bot API server over HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.logs import configure_logging
from bot.redaction import Redactor
from bot.render import plain_text_of
from bot.wiring.bot import BotServices, build_bot
from index.articles import Article
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import TOKEN, BotRunner
from tests.support.fake_telegram import BOT_USER, FakeBotAPI, parse_telegram_html, utf16_length
from tests.support.fakes import RecordingChatModel

StartBot = Callable[..., FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    """Start the bot against a fresh fake server; stops both at the end of the test."""
    runner = BotRunner()
    yield lambda parts: runner.start(lambda **values: make_settings(tmp_path, **values), parts)
    runner.stop_all()


def texts(fake: FakeBotAPI, chat_id: int = 111) -> list[str]:
    return [str(params["text"]) for params in fake.sent(chat_id=chat_id)]


def wait_for_messages(fake: FakeBotAPI, count: int, chat_id: int = 111) -> list[str]:
    fake.wait_for(lambda: len(fake.sent(chat_id=chat_id)) >= count)
    return texts(fake, chat_id)


def test_start_explains_what_the_bot_knows_and_registers_commands(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    (commands,) = [c for c in fake.sent("setMyCommands") if "language_code" not in c]
    assert {c["command"] for c in json.loads(commands["commands"])} >= {"start", "help", "ask"}
    fake.push_message("/start")
    (reply,) = wait_for_messages(fake, 1)
    assert "1 article from the news" in reply
    assert "who controls Qairawan?" in reply


def test_question_in_private_chat_is_answered_with_citations(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    fake.push_message("who controls Qairawan?")
    (reply,) = wait_for_messages(fake, 1)
    assert fake.sent("sendChatAction", chat_id=111)[0]["action"] == "typing"
    (params,) = fake.sent(chat_id=111)
    assert params["parse_mode"] == "HTML"
    visible, error = parse_telegram_html(reply)
    assert error == ""
    assert "Qairawan. [1]" in visible
    assert "Sources" in visible and "al-Hashd al-Shaabi" in visible
    assert "<blockquote>" in reply


def test_group_messages_need_a_mention_a_reply_or_a_command(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    group = -100
    fake.push_message("who controls Qairawan?", chat_id=group, chat_type="group")
    mention = "@newsdesk_test_bot"
    asked = fake.push_message(
        f"{mention} who controls Qairawan?",
        chat_id=group,
        chat_type="group",
        entities=[{"type": "mention", "offset": 0, "length": len(mention)}],
    )
    replies = wait_for_messages(fake, 1, chat_id=group)
    assert "Qairawan" in replies[0]
    (params,) = fake.sent(chat_id=group)
    assert json.loads(params["reply_parameters"])["message_id"] == asked["message_id"]

    bot_message = {"message_id": 5, "date": 0, "chat": {"id": group, "type": "group"},
                   "from": BOT_USER, "text": "earlier answer"}  # fmt: skip
    fake.push_message("and Badr Organization?", chat_id=group, chat_type="group",
                      reply_to=bot_message)  # fmt: skip
    fake.push_message("/ask@newsdesk_test_bot who leads the Badr Organization?",
                      chat_id=group, chat_type="group")  # fmt: skip
    # One chat's messages are answered in order: once the last one is, the others are done.
    fake.wait_for(lambda: any("Badr" in t and "Sources" in t for t in texts(fake, group)[2:]))
    fake.wait_for(lambda: len(texts(fake, group)) >= 4)
    group_replies = [t for t in texts(fake, group) if not t.startswith("(Understood as")]
    assert len(group_replies) == 3, "the unaddressed message got no reply, the other three did"
    # "and Badr Organization?" follows up on the group's previous question.
    assert "(Understood as: who controls Qairawan? and Badr Organization?)" in texts(fake, group)
    assert all("Badr" in reply for reply in group_replies[1:])


def test_a_5000_character_question_gets_a_clear_message(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    fake.push_message("w" * 4999 + "?")
    (reply,) = wait_for_messages(fake, 1)
    assert "5,000 characters long" in reply and "under 1,000" in reply


def test_an_answer_longer_than_4096_characters_is_split(
    start_bot: StartBot,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    sentence = "The Popular Mobilization Units hold Qairawan, according to the statement [1]. "
    model = RecordingChatModel(responses=[sentence * 80], prompts=[])  # ~6,300 characters
    service = build_bot(
        make_settings(tmp_path), store=seed_store, embeddings=embeddings, chat_model=model
    )
    fake = start_bot(service)
    fake.push_message("who controls Qairawan?")
    fake.push_message("/help")  # answered after the long answer is fully sent
    fake.wait_for(lambda: any("I answer questions" in text for text in texts(fake)))
    replies = texts(fake)
    answer_parts = [r for r in replies if "Popular Mobilization" in r]
    assert len(answer_parts) >= 2
    for part in answer_parts:
        visible, error = parse_telegram_html(part)
        assert error == "" and utf16_length(visible) <= 4096
    assert "Sources" in answer_parts[-1]


def test_html_hostile_article_is_rendered_safely(
    start_bot: StartBot, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    store = open_store("hostile", path=tmp_path / "chroma")
    hostile = Article(
        key="https://evil.example/x?a=1&b=<2>",
        title="<b>Breaking</b> & <script>alert('title')</script>",
        text="The <script>alert('x')</script> council of Qairawan & Baaj voted <b>yes</b> on "
        "the new bridge. Work starts in May & ends in June.",
        url="https://evil.example/x?a=1&b=<2>",
        source="evil.example",
        published="2017-05-26",
    )
    index_articles([hostile], store, embeddings)
    fake = start_bot(build_bot(make_settings(tmp_path), store=store, embeddings=embeddings))
    fake.push_message("What did the council of Qairawan vote on?")
    (reply,) = wait_for_messages(fake, 1)
    visible, error = parse_telegram_html(reply)
    assert error == "", reply
    assert "<script>" not in reply and "&lt;script&gt;" in reply
    assert "<b>Breaking</b> & <script>alert('title')</script>" in visible
    assert 'href="https://evil.example/x?a=1&amp;b=&lt;2&gt;"' in reply


def test_each_message_telegram_cant_parse_falls_back_to_plain_text_alone(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    fake.reject_html = True
    fake.push_message("who controls Qairawan?")
    fake.wait_for(
        lambda: any("reply_markup" in p and "parse_mode" not in p for p in fake.sent(chat_id=111))
    )
    tried = [p for p in fake.sent(chat_id=111) if p.get("parse_mode") == "HTML"]
    plain = [p for p in fake.sent(chat_id=111) if "parse_mode" not in p]
    # Every refused message went again as plain text, that one alone, in order, once.
    assert len(tried) == len(plain) >= 1
    assert [p["text"] for p in plain] == [plain_text_of(str(p["text"])) for p in tried]
    assert "[1]" in plain[0]["text"] and "Sources" in "".join(str(p["text"]) for p in plain)
    assert "reply_markup" in plain[-1] and all("reply_markup" not in p for p in plain[:-1])


def test_non_text_messages_get_a_polite_note(start_bot: StartBot, seed_bot: BotServices) -> None:
    fake = start_bot(seed_bot)
    sticker = {"file_id": "f1", "file_unique_id": "u1", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    fake.push_message(None, extra={"sticker": sticker})
    (reply,) = wait_for_messages(fake, 1)
    assert "only answer questions sent as text" in reply


def test_a_provider_error_is_one_line_to_the_user_and_logged_without_the_token(
    start_bot: StartBot,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    class FailingProvider(RecordingChatModel):
        def _call(self, *args: Any, **kwargs: Any) -> str:
            raise RuntimeError(f"provider rejected https://api.example/bot{TOKEN}/x")

    log = io.StringIO()
    configure_logging("DEBUG", Redactor([TOKEN]), logging.StreamHandler(log))
    service = build_bot(
        make_settings(tmp_path),
        store=seed_store,
        embeddings=embeddings,
        chat_model=FailingProvider(responses=["unused"], prompts=[]),
    )
    fake = start_bot(service)
    fake.push_message("who controls Qairawan?")
    (reply,) = wait_for_messages(fake, 1)
    assert reply.startswith("the LLM provider's reply could not be used (RuntimeError)")
    logged = log.getvalue()
    assert "LLM request failed: RuntimeError: provider rejected" in logged
    assert "told the user: the LLM provider's reply could not be used" in logged
    assert TOKEN not in logged and "[REDACTED]" in logged
    assert TOKEN not in reply and "Traceback" not in logged
    assert "apscheduler" not in logged  # the job queue's every run is not news
    logging.getLogger().handlers = []


def test_the_bot_refreshes_its_keyword_index_when_another_process_indexes(
    embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    store = open_store("shared", path=tmp_path / "chroma")
    parts = build_bot(make_settings(tmp_path), store=store, embeddings=embeddings)
    runner = BotRunner()
    refresh = {"NEWSDESK_KEYWORD_REFRESH_SECONDS": "0.2"}
    runner.start(lambda **values: make_settings(tmp_path, **refresh, **values), parts)
    assert parts.answering.keyword.folder.ids() == []
    # Another process indexes into the same store, with a keyword index of its own.
    other = Article(key="urn:other", title="Ferry", text="A ferry now crosses to Baaj daily.")
    index_articles([other], open_store("shared", path=tmp_path / "chroma"), embeddings)
    deadline = time.monotonic() + 30
    while (
        not parts.answering.keyword.search.search("Baaj ferry", 5) and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    runner.stop_all()
    assert len(parts.answering.keyword.search.search("Baaj ferry", 5)) == 1


def test_a_message_without_a_chat_is_dropped_and_logged_and_nothing_crashes(
    start_bot: StartBot, seed_bot: BotServices, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram never sends one; if it did, the handlers and the error handler read its
    chat: the error handler crashed on it as well."""
    fake = start_bot(seed_bot)
    reader = {"id": 111, "is_bot": False, "first_name": "Reader"}
    message = {"message_id": 1, "date": 0, "from": reader, "text": "who controls Qairawan?"}
    with caplog.at_level(logging.WARNING):
        fake.push_update({"message": message})
        fake.push_update({"callback_query": {"id": "q1", "from": reader, "chat_instance": "c",
                                             "message": message, "data": "v:1:1"}})  # fmt: skip
        fake.push_message("/help")
        wait_for_messages(fake, 1)
    assert "I answer questions" in texts(fake)[0]
    dropped = [r for r in caplog.records if "update dropped" in r.getMessage()]
    assert len(dropped) == 2, [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "nothing crashed"


def test_an_unknown_command_gets_a_line_naming_help(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    fake.push_message("/subscribe Qairawan")
    (reply,) = wait_for_messages(fake, 1)
    assert "I don't know the command /subscribe" in reply and "/help" in reply
    group = -100
    fake.push_message("/weather", chat_id=group, chat_type="group")  # maybe another bot's
    fake.push_message("/weather@newsdesk_test_bot", chat_id=group, chat_type="group")
    fake.push_message("/start@newsdesk_test_bot", chat_id=group, chat_type="group")
    fake.wait_for(lambda: len(texts(fake, group)) >= 2)
    time.sleep(0.5)  # time for a reply to the bare /weather, which must not come
    replies = texts(fake, group)
    assert len(replies) == 2
    assert "I don't know the command /weather" in replies[0]
    assert "who controls Qairawan?" in replies[1]  # a known command still works


def test_ask_keeps_to_the_dates_given(start_bot: StartBot, seed_bot: BotServices) -> None:
    fake = start_bot(seed_bot)
    fake.push_message("/ask since:2030-01-01 who controls Qairawan?")
    (reply,) = wait_for_messages(fake, 1)
    assert "Only articles published since 1 January 2030 were searched" in reply
    fake.push_message("/ask since:yesterday who controls Qairawan?")
    assert "since: takes a date as YYYY-MM-DD" in wait_for_messages(fake, 2)[1]
    fake.push_message("/ask since:2024-02-01 until:2024-01-01 who controls Qairawan?")
    assert "wrong way round" in wait_for_messages(fake, 3)[2]
    fake.push_message("/ask since:2024-02-01")
    assert "/ask since:2024-03-01 until:2024-03-31" in wait_for_messages(fake, 4)[3]
