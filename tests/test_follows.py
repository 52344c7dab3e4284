"""Following a story in Telegram (issue 28): /follow, /following and /unfollow, good input and
bad; an admin's upload about a followed topic pushed once to its follower (in the forum topic
it was followed in) and to nobody else; a chat that blocked the bot loses its follows. Real
Application, real store and model, fake Bot API."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot.state.follows import MAX_TOPIC_CHARS, Due, FollowMatch
from bot.telegram.follows import FOLLOW_USAGE, NOTHING_FOLLOWED, UNFOLLOW_USAGE
from bot.telegram.pushes import HEADING, push_text
from bot.wiring.state import open_state
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html, utf16_length
from tests.support.web_server import WebServer
from tests.test_telegram_admin import (
    ADMIN,
    READER,
    STORY,
    StartBot,
    replies,
    serve_feed,
    start_bot,
    web,
)

__all__ = ["start_bot", "web"]  # the fixtures

OTHER = 222
FORUM = -1001
SCHOOLS = (
    "Schools reopen in Tal Sufouq\n\nThe mayor of Tal Sufouq, Ahmed Jabouri, opened the first "
    "of the town's schools on Friday; Salim Qadir will be its head teacher.\n\n"
    "Two more schools are to follow in May, the town council said."
)
FERRY = (
    "The ferry between Baaj and Tal Afar ran again on Tuesday for the first time in a year.\n\n"
    "Its captain said the river was calm and the passengers were few."
)


def command(fake: FakeBotAPI, text: str, chat_id: int = READER, topic: int | None = None) -> None:
    extra = {}
    if topic is not None:
        chat = {"id": chat_id, "type": "supergroup", "title": "Newsroom", "is_forum": True}
        extra = {"message_thread_id": topic, "is_topic_message": True, "chat": chat}
    fake.push_message(text, chat_id=chat_id, user_id=READER if chat_id < 0 else chat_id,
                      chat_type="supergroup" if topic else "private", extra=extra)  # fmt: skip


def say(fake: FakeBotAPI, text: str, chat_id: int = READER) -> str:
    """Send a command and return the bot's reply to it."""
    before = len(fake.sent(chat_id=chat_id))
    command(fake, text, chat_id)
    return replies(fake, chat_id, before + 1)[before]


def reports(fake: FakeBotAPI) -> int:
    """How many indexing reports the admin was sent."""
    return sum("articles read" in str(p["text"]) for p in fake.sent(chat_id=ADMIN))


def pushes(fake: FakeBotAPI, chat_id: int) -> list[dict[str, object]]:
    return [p for p in fake.sent(chat_id=chat_id) if str(p["text"]).startswith(HEADING)]


def test_follow_following_and_unfollow_take_good_input_and_explain_bad(
    start_bot: StartBot,
) -> None:
    fake, _ = start_bot()
    assert say(fake, "/follow") == FOLLOW_USAGE
    assert say(fake, "/follow    ") == FOLLOW_USAGE
    huge = say(fake, "/follow " + "story " * 500)
    assert f"can be at most {MAX_TOPIC_CHARS}" in huge and "2,999 characters" in huge
    assert say(fake, "/following") == NOTHING_FOLLOWED
    nothing = "You follow nothing here. /follow TOPIC starts following one."
    assert say(fake, "/unfollow 1") == nothing
    assert say(fake, "/follow the mayor of  Tal Sufouq").startswith(
        "Following “the mayor of Tal Sufouq”."
    )
    assert say(fake, "/follow The Mayor of Tal Sufouq") == (
        "You already follow “The Mayor of Tal Sufouq” here."
    )
    say(fake, "/follow the ferry to Tal Afar")
    assert say(fake, "/following") == (
        "You follow here:\n1. the mayor of Tal Sufouq\n2. the ferry to Tal Afar\n"
        "/unfollow N stops following number N."
    )
    assert say(fake, "/unfollow") == UNFOLLOW_USAGE
    assert say(fake, "/unfollow two") == f"“two” is not a number. {UNFOLLOW_USAGE}"
    assert say(fake, "/unfollow -1") == f"“-1” is not a number. {UNFOLLOW_USAGE}"
    assert say(fake, "/unfollow " + "x" * 5000).startswith("“xxxxxxxxxxxxxxxxxxxx…” is not")
    assert say(fake, "/unfollow 3") == (
        "There is no follow number 3: /following lists them, numbered 1 to 2."
    )
    assert say(fake, "/unfollow 0") == (
        "There is no follow number 0: /following lists them, numbered 1 to 2."
    )
    assert say(fake, "/unfollow " + "9" * 400).startswith("There is no follow number 999999…")
    assert say(fake, "/unfollow 1") == "Stopped following “the mayor of Tal Sufouq”."
    assert say(fake, "/following").startswith("You follow here:\n1. the ferry to Tal Afar\n")
    # Another chat has its own list.
    assert say(fake, "/following", chat_id=OTHER) == NOTHING_FOLLOWED
    commands = {c for p in fake.sent("setMyCommands") for c in str(p["commands"]).split('"')}
    assert {"follow", "following", "unfollow"} <= commands


def test_an_upload_about_a_followed_topic_reaches_its_follower_once_and_no_one_else(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, _ = start_bot()
    say(fake, "/follow the mayor of Tal Sufouq")
    say(fake, "/follow football world cup final", chat_id=OTHER)
    command(fake, "/follow who leads Tal Sufouq council", chat_id=FORUM, topic=7)
    fake.wait_for(lambda: len(fake.sent(chat_id=FORUM)) >= 1)
    fake.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
    fake.wait_for(lambda: bool(pushes(fake, READER)) and bool(pushes(fake, FORUM)), timeout=120)
    (push,) = pushes(fake, READER)
    text = str(push["text"])
    assert "<b>the mayor of Tal Sufouq</b>" in text and "• Mayor elected" in text
    assert "Ahmed Jabouri" in text and push["parse_mode"] == "HTML"
    (in_topic,) = pushes(fake, FORUM)
    assert str(in_topic["message_thread_id"]) == "7"
    assert "<b>who leads Tal Sufouq council</b>" in str(in_topic["text"])

    # An unrelated upload, the same one again, and a second report within the rate limit's
    # window: no more pushes, and none ever to the chat following something else.
    fake.push_document("ferry.txt", f"Ferry runs again\n\n{FERRY}".encode(), user_id=ADMIN)
    fake.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
    fake.push_document("schools.txt", SCHOOLS.encode(), user_id=ADMIN)
    fake.wait_for(lambda: reports(fake) >= 4, timeout=180)
    time.sleep(2.0)  # a push would follow its run's report within moments
    assert len(pushes(fake, READER)) == 1 and len(pushes(fake, FORUM)) == 1
    # The second report on the mayor is held for the follower's next push.
    assert (READER, None) in open_state(make_settings(tmp_path)).follows.holding()
    assert pushes(fake, OTHER) == [] and pushes(fake, ADMIN) == []
    assert len(fake.sent(chat_id=OTHER)) == 1  # its /follow's reply


def test_a_chat_that_blocked_the_bot_loses_its_follows(
    start_bot: StartBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram.pushes")
    fake, _ = start_bot(NEWSDESK_FOLLOW_PUSH_MINUTES="0")
    say(fake, "/follow the mayor of Tal Sufouq")
    say(fake, "/follow Jabouri and the schools", chat_id=OTHER)
    fake.blocked.add(READER)
    fake.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
    fake.wait_for(lambda: bool(pushes(fake, OTHER)), timeout=120)
    fake.wait_for(lambda: "follows were dropped" in caplog.text)
    state = open_state(make_settings(tmp_path))
    assert state.follows.listed(READER, None) == []
    assert [f.topic for f in state.follows.listed(OTHER, None)] == ["Jabouri and the schools"]
    assert f"chat {READER} refused a push" in caplog.text and "blocked by the user" in caplog.text
    assert [p["_status"] for p in fake.sent(chat_id=READER)][-1] == 403


def test_a_push_of_many_long_hostile_matches_is_one_message_telegram_parses() -> None:
    hostile = "<b>&amp; … &</i>" * 100
    matches = [
        FollowMatch(follow, f"topic {follow} {hostile}", f"k{follow}-{n}", hostile,
                    f"https://example.org/{n}?a=1&b=\"2\"", hostile, "2024-03-04", hostile, 0.9)
        for follow in range(20)
        for n in range(5)
    ]  # fmt: skip
    text = push_text(Due(matches, dropped=3))
    visible, error = parse_telegram_html(text)
    assert error == "" and utf16_length(visible) <= 4096 and utf16_length(text) <= 4096
    shown = text.count("• ")
    more = f"…and {100 - shown + 3} more; ask me about the story for them."
    assert 0 < shown < 100 and text.endswith(more)


def test_a_match_held_back_by_the_rate_limit_goes_with_a_later_runs_push(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, _ = start_bot(NEWSDESK_FOLLOW_PUSH_MINUTES="0.25")
    say(fake, "/follow the mayor of Tal Sufouq")
    fake.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
    fake.wait_for(lambda: bool(pushes(fake, READER)), timeout=120)
    first = time.monotonic()
    fake.push_document("schools.txt", SCHOOLS.encode(), user_id=ADMIN)
    follows = open_state(make_settings(tmp_path)).follows
    fake.wait_for(lambda: follows.holding() == [(READER, None)], timeout=120)
    assert time.monotonic() - first < 15 and len(pushes(fake, READER)) == 1
    time.sleep(15 - (time.monotonic() - first))
    # A run with nothing on the story sends what was held, now that the time has come.
    fake.push_document("ferry.txt", f"Ferry runs again\n\n{FERRY}".encode(), user_id=ADMIN)
    fake.wait_for(lambda: len(pushes(fake, READER)) == 2, timeout=120)
    assert "Salim Qadir" in str(pushes(fake, READER)[1]["text"])
    assert follows.holding() == []


def test_the_feed_poll_pushes_a_new_entry_to_its_follower(
    start_bot: StartBot, web: WebServer, tmp_path: Path
) -> None:
    state = open_state(make_settings(tmp_path))
    state.feeds.add(serve_feed(web))
    state.follows.add(READER, None, "who is the mayor of Tal Sufouq")
    fake, _ = start_bot(NEWSDESK_FEED_POLL_MINUTES="0.01")
    fake.wait_for(lambda: bool(pushes(fake, READER)), timeout=120)
    (push,) = pushes(fake, READER)
    assert web.url("/story") in str(push["text"]) and "Mayor" in str(push["text"])
