"""Follows in the shared database (SQLite and Postgres): the per-chat cap, numbering per forum
topic, the push rate limit holding matches for the next push, daily digests due at a local
time, claimed once, and the client's language kept with each follow and digest."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.state.database import open_database
from bot.state.digests import DigestError, Digests, DigestSetting, parse_time, zone_of
from bot.state.follows import (
    MAX_FOLLOWS_PER_CHAT,
    MAX_HELD,
    MAX_TOPIC_CHARS,
    FollowError,
    FollowMatch,
    Follows,
    clean_language,
)
from bot.state.tables import follow_digests, follow_pushes, follows

CHAT, OTHER = 111, 222


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def match(follow_id: int, key: str) -> FollowMatch:
    return FollowMatch(follow_id, "topic", key, f"Title {key}", "", "Wire", "2024-03-05",
                       "A sentence.", 0.9)  # fmt: skip


def test_follows_are_capped_per_chat_numbered_per_topic_and_checked(database_url: str) -> None:
    follows = Follows(open_database(database_url))
    first = follows.add(CHAT, None, "  the mayor of\n Tal   Sufouq ")
    assert first.topic == "the mayor of Tal Sufouq"
    with pytest.raises(FollowError, match="already follow"):
        follows.add(CHAT, None, "THE MAYOR OF TAL SUFOUQ")
    with pytest.raises(FollowError, match="can't be empty"):
        follows.add(CHAT, None, " \n\t ")
    with pytest.raises(FollowError, match="can't be empty"):
        follows.add(CHAT, None, "\x00\x07")
    # A NUL, which Postgres refuses in text, is a space.
    assert follows.add(OTHER, None, "dam\x00works").topic == "dam works"
    follows.remove(OTHER, None, 1)
    with pytest.raises(FollowError, match=f"at most {MAX_TOPIC_CHARS}"):
        follows.add(CHAT, None, "x" * (MAX_TOPIC_CHARS + 1))
    in_topic = follows.add(CHAT, 7, "the mayor of Tal Sufouq")  # another forum topic: its own
    assert [f.id for f in follows.listed(CHAT, 7)] == [in_topic.id]
    for n in range(MAX_FOLLOWS_PER_CHAT - 2):
        follows.add(CHAT, None, f"story {n}")
    with pytest.raises(FollowError, match=f"follows {MAX_FOLLOWS_PER_CHAT} topics already"):
        follows.add(CHAT, None, "one too many")
    follows.add(OTHER, None, "one too many")  # the cap is per chat
    with pytest.raises(FollowError, match="no follow number 0"):
        follows.remove(CHAT, None, 0)
    with pytest.raises(FollowError, match="numbered 1 to 19"):
        follows.remove(CHAT, None, 20)
    assert follows.remove(CHAT, None, 1).topic == "the mayor of Tal Sufouq"
    assert follows.listed(CHAT, None)[0].topic == "story 0"
    with pytest.raises(FollowError, match="You follow nothing here"):
        follows.remove(OTHER, 7, 1)
    assert follows.drop_chat(CHAT) == MAX_FOLLOWS_PER_CHAT - 1
    assert [f.chat_id for f in follows.everything()] == [OTHER]


def test_a_rate_limited_place_holds_its_matches_for_the_next_push(database_url: str) -> None:
    clock = Clock()
    database = open_database(database_url)
    follows = Follows(database, clock)
    kept, gone = follows.add(CHAT, None, "mayor"), follows.add(CHAT, None, "ferry")
    due = follows.take_due(CHAT, None, [match(kept.id, "a")], 600)
    assert due is not None and [m.article_key for m in due.matches] == ["a"]
    clock.now += 60
    assert follows.take_due(CHAT, None, [match(kept.id, "b"), match(gone.id, "c")], 600) is None
    many = [match(kept.id, f"m{n}") for n in range(MAX_HELD + 5)]
    assert follows.take_due(CHAT, None, many, 600) is None
    assert follows.holding() == [(CHAT, None)]
    follows.remove(CHAT, None, 2)  # "ferry": its held match is not pushed
    clock.now += 600
    due = follows.take_due(CHAT, None, [match(kept.id, "d")], 600)
    assert due is not None
    keys = [m.article_key for m in due.matches]
    assert keys[0] == "b" and "c" not in keys and "d" in keys
    # Held: "b", "c" and 28 of the 35, the other 7 dropped; "c" is left out now.
    assert len(keys) == MAX_HELD and due.dropped == 7
    assert follows.take_due(CHAT, None, [], 600) is None  # just pushed
    assert follows.holding() == []
    clock.now += 600
    assert follows.take_due(CHAT, None, [], 600) is None  # nothing to send: no push taken
    due = follows.take_due(CHAT, None, [match(kept.id, "f")], 600)
    assert due is not None and [m.article_key for m in due.matches] == ["f"]
    # Garbage where the held matches are kept counts as none held.
    with database.transaction() as db:
        db.execute(follow_pushes.update().values(held_json="{not json", last_push_at=0.0))
    due = follows.take_due(CHAT, None, [match(kept.id, "e")], 600)
    assert due is not None and [m.article_key for m in due.matches] == ["e"]


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize("bad", ["24:00", "8.30", "08:60", "", "x" * 5000, "٠٨:٣٠", "-1:00"])
def test_a_time_of_day_must_be_hh_mm(bad: str) -> None:
    with pytest.raises(DigestError, match="is not a time of day: give it as HH:MM"):
        parse_time(bad)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../etc/passwd", "", " ", "x" * 500, "/etc/x"])
def test_a_time_zone_must_be_an_iana_name(bad: str) -> None:
    with pytest.raises(DigestError, match="I don't know the time zone"):
        zone_of(bad)


def test_a_digest_is_due_daily_at_local_time_across_a_clock_change(database_url: str) -> None:
    assert parse_time("8:30") == 510 and parse_time(" 23:59 ") == 23 * 60 + 59
    clock = Clock()
    clock.now = utc("2026-03-28T07:00:00")  # Berlin: 08:00, the day before summer time
    digests = Digests(open_database(database_url), clock)
    assert digests.setting(CHAT, None) == DigestSetting("UTC", None)
    digests.set_timezone(CHAT, None, "Europe/Berlin")
    assert digests.set_time(CHAT, None, parse_time("08:30")).at == "08:30"
    assert digests.claim_due() == []
    clock.now = utc("2026-03-28T07:31:00")
    (due,) = digests.claim_due()
    assert (due.chat_id, due.thread_id, due.since) == (CHAT, None, date(2026, 3, 27))
    assert digests.claim_due() == []  # claimed: sent once
    digests.sent(CHAT, None, ["k1", "k2"])
    clock.now = utc("2026-03-29T06:29:00")  # 08:29 in Berlin, now on summer time
    assert digests.claim_due() == []
    clock.now = utc("2026-03-29T06:30:00")
    (due,) = digests.claim_due()
    assert due.since == date(2026, 3, 28) and due.sent_keys == {"k1", "k2"}
    assert digests.set_time(CHAT, None, None).at == ""
    clock.now += 3 * 86400
    assert digests.claim_due() == []
    digests.set_time(CHAT, 7, 0)  # a forum topic has its own
    assert digests.setting(CHAT, 7) == DigestSetting("UTC", 0)
    digests.drop_chat(CHAT)
    assert digests.setting(CHAT, 7) == DigestSetting("UTC", None)


@pytest.mark.parametrize(
    ("given", "kept"),
    [("ru", "ru"), ("AR", "ar"), ("fr", "fr"), ("xx", "xx"), (None, None), ("", None),
     (" ", None), ("x" * 9, None), ("x" * 5000, None), ("pt-br", None), ("../ru", None),
     ("r\x00u", None), ("ру", None)],
)  # fmt: skip
def test_a_language_is_kept_as_its_code_or_not_at_all(given: str | None, kept: str | None) -> None:
    assert clean_language(given) == kept


def test_a_follow_keeps_its_clients_language_and_a_push_takes_the_newest_ones(
    database_url: str,
) -> None:
    database = open_database(database_url)
    store = Follows(database, Clock())
    russian = store.add(CHAT, None, "mayor", "ru")
    arabic = store.add(CHAT, None, "ferry", "ar")
    unknown = store.add(OTHER, None, "mayor", None)
    too_long = store.add(OTHER, 7, "mayor", "x" * 5000)  # not a code: kept as none (English)
    assert (russian.language, arabic.language, unknown.language) == ("ru", "ar", None)
    assert too_long.language is None
    assert [f.language for f in store.listed(CHAT, None)] == ["ru", "ar"]
    assert [f.language for f in store.everything()] == ["ru", "ar", None, None]
    due = store.take_due(CHAT, None, [match(russian.id, "a")], 0)
    assert due is not None and due.language == "ru"
    due = store.take_due(CHAT, None, [match(russian.id, "b"), match(arabic.id, "c")], 0)
    assert due is not None and due.language == "ar"  # the newest follow it lists
    due = store.take_due(OTHER, None, [match(unknown.id, "a")], 0)
    assert due is not None and due.language is None
    # Whatever a row holds is handed on as it is: the wording falls back to English.
    with database.transaction() as db:
        db.execute(follows.update().where(follows.c.id == russian.id).values(language="zz"))
    due = store.take_due(CHAT, None, [match(russian.id, "d")], 0)
    assert due is not None and due.language == "zz"


def test_a_digest_keeps_the_language_of_the_client_that_last_set_it(database_url: str) -> None:
    clock = Clock()
    database = open_database(database_url)
    digests = Digests(database, clock)
    digests.set_timezone(CHAT, None, "Europe/Berlin", "ar")
    digests.set_time(CHAT, None, parse_time("08:30"), "ar")
    digests.set_time(OTHER, None, 0)  # a client that didn't say
    digests.set_time(OTHER, 7, 0, "x" * 500)
    clock.now += 2 * 86400
    languages = {(d.chat_id, d.thread_id): d.language for d in digests.claim_due()}
    assert languages == {(CHAT, None): "ar", (OTHER, None): None, (OTHER, 7): None}
    digests.set_timezone(CHAT, None, "UTC", "ru")  # another client changes it: now theirs
    with pytest.raises(DigestError):
        digests.set_timezone(CHAT, None, "Mars/Olympus", "fr")  # refused: nothing changes
    with database.transaction() as db:
        db.execute(follow_digests.update().values(next_at=0.0))
    languages = {(d.chat_id, d.thread_id): d.language for d in digests.claim_due()}
    assert languages[(CHAT, None)] == "ru"
