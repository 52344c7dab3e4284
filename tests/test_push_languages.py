"""Pushes and digests in the language of the client that set them up: a Russian client's
/follow is pushed in Russian, an Arabic client's digest comes in Arabic, and an English
client, one in a language without a catalog, one that doesn't say, a follow or digest kept
before languages were (NULL), and a kept language that is no catalog's are all sent in
English. Only the bot's own words change: the articles' headlines and sentences stay as they
are. Real Application, store, model and database, against the fake Bot API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from bot.render import UNTITLED
from bot.state.follows import Due, FollowMatch
from bot.telegram.digests import DIGEST_HEADING, NOTHING_NEW, said_day
from bot.telegram.pushes import HEADING, MORE_PLURAL, push_text
from bot.translation import translations
from bot.wiring.state import open_state
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html
from tests.test_digests import digests_sent, make_due
from tests.test_follows import pushes
from tests.test_telegram_admin import ADMIN, STORY, StartBot, start_bot
from tests.test_telegram_languages import first_strong_direction, push

__all__ = ["start_bot"]  # the fixture

TOPIC = "the mayor of Tal Sufouq"
RUSSIAN, ARABIC, ENGLISH, FRENCH, SILENT, OLD, ODD, LONG = range(301, 309)
# What a stored language may be that is no catalog's: all are worded in English.
ODD_LANGUAGES = ["xx", "zz", "RU", "ru-RU", "../ru", "", " ", "x" * 5000, "ру", "\x00"]


def said(fake: FakeBotAPI, text: str, language: str | None, chat: int) -> str:
    """Send a command from a client in `language` and return the bot's reply."""
    before = len(fake.delivered(chat))
    push(fake, text, language, chat)
    fake.wait_for(lambda: len(fake.delivered(chat)) > before)
    return fake.delivered(chat)[before]


def in_russian(line: str) -> str:
    return translations("ru").gettext(line)


def in_arabic(line: str) -> str:
    return translations("ar").gettext(line)


def test_a_follow_is_pushed_in_the_language_of_the_client_that_made_it(
    start_bot: StartBot, tmp_path: Path
) -> None:
    state = open_state(make_settings(tmp_path))
    state.follows.add(OLD, None, TOPIC)  # as kept before languages were: NULL
    state.follows.add(ODD, None, TOPIC, "xx")  # a code no catalog has
    state.follows.add(LONG, None, TOPIC, "x" * 5000)  # not a code at all: none kept
    fake, _ = start_bot()
    for chat, language in [(RUSSIAN, "ru"), (ENGLISH, "en"), (FRENCH, "fr-CA"), (SILENT, None)]:
        assert said(fake, f"/follow {TOPIC}", language, chat).startswith(("Following", "Слежу"))
    fake.push_document("council.txt", f"Mayor elected\n\n{STORY}".encode(), user_id=ADMIN)
    russian_heading = in_russian(HEADING)
    fake.wait_for(lambda: bool(_pushed(fake, RUSSIAN, russian_heading)), timeout=120)
    (russian,) = _pushed(fake, RUSSIAN, russian_heading)
    assert HEADING not in russian and f"<b>{TOPIC}</b>" in russian
    assert "• Mayor elected" in russian and "Ahmed Jabouri" in russian  # the article as it is
    assert parse_telegram_html(russian)[1] == ""
    english_chats = [ENGLISH, FRENCH, SILENT, OLD, ODD, LONG]
    fake.wait_for(lambda: all(pushes(fake, chat) for chat in english_chats), timeout=60)
    english = [str(p["text"]) for chat in english_chats for p in pushes(fake, chat)]
    assert len(english) == len(english_chats) and len(set(english)) == 1  # one each, alike
    listed = f"<b>{TOPIC}</b>\n• Mayor elected"
    assert english[0].startswith(f"{HEADING}\n\n{listed}")
    assert russian.startswith(f"{russian_heading}\n\n{listed}")
    kept = {f.chat_id: f.language for f in open_state(make_settings(tmp_path)).follows.everything()}
    assert kept == {RUSSIAN: "ru", ENGLISH: "en", FRENCH: "fr", SILENT: None, OLD: None,
                    ODD: "xx", LONG: None}  # fmt: skip


def _pushed(fake: FakeBotAPI, chat: int, heading: str) -> list[str]:
    return [str(p["text"]) for p in fake.sent(chat_id=chat) if str(p["text"]).startswith(heading)]


def test_a_digest_comes_in_the_language_of_the_client_that_set_it_up(
    start_bot: StartBot, tmp_path: Path
) -> None:
    state = open_state(make_settings(tmp_path))
    for chat, language in [(OLD, None), (ODD, "zz")]:  # kept before languages were; no catalog
        state.follows.add(chat, None, TOPIC)
        state.digests.set_time(chat, None, 8 * 60, language)
    fake, _ = start_bot(NEWSDESK_JOB_POLL_SECONDS="0.5")
    said(fake, "/timezone Europe/Berlin", "ar", ARABIC)
    said(fake, "/digest 08:30", "ar", ARABIC)
    said(fake, f"/follow {TOPIC}", "ar", ARABIC)
    said(fake, "/digest 08:30", "en", ENGLISH)
    said(fake, f"/follow {TOPIC}", "en", ENGLISH)
    today = datetime.now(UTC).date()
    record = {"id": "mayor", "title": "Mayor elected", "text": STORY, "published": str(today)}
    fake.push_document("wire.jsonl", json.dumps(record).encode() + b"\n", user_id=ADMIN)
    fake.wait_for(lambda: any("articles read" in str(p["text"]) for p in fake.sent(chat_id=ADMIN)))
    make_due(tmp_path)
    chats = [ARABIC, ENGLISH, OLD, ODD]
    fake.wait_for(lambda: all(digests_sent(fake, chat) for chat in chats), timeout=60)
    (arabic,) = digests_sent(fake, ARABIC)
    assert arabic.startswith(in_arabic(DIGEST_HEADING)) and DIGEST_HEADING not in arabic
    assert first_strong_direction(arabic) == "rtl" and parse_telegram_html(arabic)[1] == ""
    assert format_date(today, format="long", locale="ar") in arabic  # its date, in Arabic
    assert "• Mayor elected" in arabic and f"<b>{TOPIC}</b>" in arabic
    for chat in (ENGLISH, OLD, ODD):
        (english,) = digests_sent(fake, chat)
        assert english.startswith(DIGEST_HEADING) and str(today) in english, chat

    make_due(tmp_path)  # the next day: nothing new, said in each one's language
    fake.wait_for(lambda: all(len(digests_sent(fake, chat)) == 2 for chat in chats), timeout=60)
    berlin = datetime.now(ZoneInfo("Europe/Berlin")).date()
    since = format_date(berlin, format="long", locale="ar")
    assert digests_sent(fake, ARABIC)[1] == in_arabic(NOTHING_NEW).format(since=since)
    for chat in (ENGLISH, OLD, ODD):
        nothing = digests_sent(fake, chat)[1]
        assert nothing.startswith("🗞 No new reports on the stories you follow since "), chat


# --- the words alone -------------------------------------------------------------------------


def _match(follow: int, title: str = "Mayor elected") -> FollowMatch:
    return FollowMatch(follow, TOPIC, f"k{follow}", title, "https://example.org/a", "Wire",
                       "2024-03-05", "Jabouri was elected.", 0.9)  # fmt: skip


@pytest.mark.parametrize("language", [None, *ODD_LANGUAGES])
def test_a_language_no_catalog_has_is_pushed_in_english(language: str | None) -> None:
    english = push_text(Due([_match(1, "")], 3))
    assert push_text(Due([_match(1, "")], 3, language)) == english
    assert english.startswith(HEADING) and UNTITLED in english and "2024-03-05" in english
    assert english.endswith("…and 3 more; ask me about the story for them.")


@pytest.mark.parametrize(
    ("language", "day", "more"),
    [("ru", "5 марта 2024\u202fг.", "…и ещё 21 статья"), ("ar", "5 مارس 2024", "…و21 تقريرًا آخر")],
)
def test_a_push_s_own_words_and_dates_are_in_its_language(
    language: str, day: str, more: str
) -> None:
    catalog = translations(language)
    text = push_text(Due([_match(1, ""), _match(2)], 21, language))
    assert text.startswith(catalog.gettext(HEADING)) and catalog.gettext(UNTITLED) in text
    assert f"Wire · {day}" in text and "2024-03-05" not in text
    assert text.endswith(catalog.ngettext(*MORE_PLURAL, 21).format(count=21))
    assert more in text and "Jabouri was elected." in text  # the article's sentence as it is
    assert parse_telegram_html(text)[1] == ""


def test_a_digest_s_dates_are_said_in_its_language() -> None:
    day = date(2026, 12, 5)
    assert said_day(day, None) == "5 December 2026" == said_day(day, "xx")
    assert said_day(day, "x" * 5000) == "5 December 2026"
    assert (
        said_day(day, "ru") == "5 декабря 2026\u202fг." and said_day(day, "ar") == "5 ديسمبر 2026"
    )
