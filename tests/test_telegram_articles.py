"""/articles for admins: the indexed articles a page at a time, Prev/Next buttons that edit
the listing, a search by title; everyone else refused. Real Application, fake Bot API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.telegram.access import ADMINS_ONLY
from bot.telegram.articles import EMPTY_INDEX, parse_arguments
from bot.wiring.bot import build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.ingest.sources import Sources
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI, as_held

ADMIN = 7001
READER = 111
LONG = "Council of the Nineveh Governorate reports on the reconstruction of"
StartBot = Callable[[int], FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path, embeddings: SentenceTransformerEmbeddings) -> Iterator[StartBot]:
    """A bot with admin ADMIN over `count` articles of its own: 'LONG day N', on 2026-02-N."""
    runner = BotRunner()

    def start(count: int) -> FakeBotAPI:
        values = {"NEWSDESK_ADMIN_IDS": str(ADMIN), "NEWSDESK_FEED_POLL_MINUTES": "0"}
        parts = build_bot(make_settings(tmp_path, **values), embeddings=embeddings)
        if count:
            records = [
                {"id": f"d{n}", "title": f"{LONG} day {n}", "published": f"2026-02-{n:02d}",
                 "text": f"On day {n} the council rebuilt {n} houses in the old city."}
                for n in range(1, count + 1)
            ]  # fmt: skip
            wire = tmp_path / "wire.jsonl"
            wire.write_text("\n".join(json.dumps(record) for record in records))
            assert parts.indexer.run(Sources(paths=[wire])).articles_new == count
        return runner.start(lambda **telegram: make_settings(tmp_path, **values, **telegram), parts)

    yield start
    runner.stop_all()


def sent_to(
    fake: FakeBotAPI, chat_id: int, count: int, method: str = "sendMessage"
) -> list[dict[str, Any]]:
    fake.wait_for(lambda: len(fake.sent(method, chat_id=chat_id)) >= count)
    return fake.sent(method, chat_id=chat_id)


def keyboard(params: dict[str, Any]) -> list[tuple[str, str]]:
    if "reply_markup" not in params:
        return []
    rows = json.loads(str(params["reply_markup"]))["inline_keyboard"]
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def test_admins_page_through_the_articles_with_buttons(start_bot: StartBot) -> None:
    fake = start_bot(12)
    fake.push_message("/articles", chat_id=ADMIN, user_id=ADMIN)
    (first,) = sent_to(fake, ADMIN, 1)
    lines = str(first["text"]).splitlines()
    assert lines[0] == "Articles: 1-10 of 12 (page 1 of 2)"
    assert "2026-02-12" in lines[1] and f"{LONG[:40]}" in lines[1] and "(1 chunks)" in lines[1]
    assert "2026-02-03" in lines[10]
    assert lines[-1] == "Remove one with `newsdesk articles rm ID` on the server."
    assert keyboard(first) == [("Next ▶", "ar:2:")]

    fake.push_callback("ar:2:", as_held(first), user_id=ADMIN)
    (edited,) = sent_to(fake, ADMIN, 1, "editMessageText")
    lines = str(edited["text"]).splitlines()
    assert lines[0] == "Articles: 11-12 of 12 (page 2 of 2)"
    assert "2026-02-02" in lines[1] and "2026-02-01" in lines[2]
    assert keyboard(edited) == [("◀ Prev", "ar:1:")]

    fake.push_message("/articles 2 DAY 1", chat_id=ADMIN, user_id=ADMIN)  # day 1, 10, 11, 12
    text = str(sent_to(fake, ADMIN, 2)[1]["text"])
    assert text.startswith("Articles matching 'DAY 1': 1-4 of 4 (page 1 of 1)")  # clamped

    fake.push_message("/articles nothing like it", chat_id=ADMIN, user_id=ADMIN)
    assert sent_to(fake, ADMIN, 3)[2]["text"] == "No articles with 'nothing like it' in the title."
    fake.push_message("/articles " + "y" * 4000, chat_id=ADMIN, user_id=ADMIN)
    assert sent_to(fake, ADMIN, 4)[3]["text"] == f"No articles with '{'y' * 79}…' in the title."


def test_a_search_too_long_for_a_button_says_how_to_ask_for_the_next_page(
    start_bot: StartBot,
) -> None:
    fake = start_bot(12)
    fake.push_message(f"/articles {LONG}", chat_id=ADMIN, user_id=ADMIN)
    (reply,) = sent_to(fake, ADMIN, 1)
    assert f"Next: /articles 2 {LONG}" in str(reply["text"]) and not keyboard(reply)
    fake.push_message(f"/articles 2 {LONG}", chat_id=ADMIN, user_id=ADMIN)
    text = str(sent_to(fake, ADMIN, 2)[1]["text"])
    assert "11-12 of 12 (page 2 of 2)" in text and f"Prev: /articles 1 {LONG}" in text
    assert f"Articles matching '{LONG}': 11-12" in text


def test_others_are_refused_and_an_empty_index_says_how_to_fill_it(start_bot: StartBot) -> None:
    fake = start_bot(0)
    fake.push_message("/articles", chat_id=READER, user_id=READER)
    assert sent_to(fake, READER, 1)[0]["text"] == ADMINS_ONLY
    held = {"message_id": 9000, "date": 0, "chat": {"id": READER, "type": "private"}, "text": ""}
    fake.push_callback("ar:2:", held, user_id=READER)
    fake.wait_for(lambda: bool(fake.sent("answerCallbackQuery")))
    assert fake.sent("answerCallbackQuery")[0]["text"] == ADMINS_ONLY
    assert not fake.sent("editMessageText")

    fake.push_message("/articles", chat_id=ADMIN, user_id=ADMIN)
    assert sent_to(fake, ADMIN, 1)[0]["text"] == EMPTY_INDEX
    fake.push_callback("ar:999999:" + "x" * 40, held | {"chat": {"id": ADMIN, "type": "private"}},
                       user_id=ADMIN)  # fmt: skip
    edited = sent_to(fake, ADMIN, 1, "editMessageText")[0]["text"]
    assert edited == f"No articles with {'x' * 40!r} in the title."


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("/articles", (1, "")),
        ("/articles@newsdesk_bot 3", (3, "")),
        ("/articles 0 mosul", (1, "mosul")),
        ("/articles mosul 2017", (1, "mosul 2017")),
        ("/articles 99999999999 x", (999999, "x")),
        ("/articles   2   al  Hashd ", (2, "al  Hashd")),
    ],
)
def test_the_arguments_are_a_page_then_words_of_the_title(
    text: str, wanted: tuple[int, str]
) -> None:
    assert parse_arguments(text) == wanted
