"""The bot's own words in the reader's language (issue 29): gettext catalogs for Arabic and
Russian, chosen by the client's `language_code`, English otherwise; the command menus set per
language; Arabic checked right to left in Telegram HTML. The real Application against the fake
Bot API."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.answering.answers import Answer, Citation
from bot.answering.prompts import PromptLibrary
from bot.render import render_html
from bot.settings import SHIPPED_PROMPTS_DIR
from bot.telegram import digests, follows, pushes, sources
from bot.telegram.access import ADMINS_ONLY, NOT_ALLOWED, slow_down_message
from bot.telegram.answer_words import LINES as ANSWER_LINES
from bot.telegram.app import ADMIN_COMMANDS, APOLOGY, COMMANDS, DATABASE_BUSY, DATABASE_DOWN
from bot.telegram.help_text import UNDATED, VOICE_TOO, help_in
from bot.telegram.questions import ASK_USAGE, FORGOTTEN, TEXT_ONLY, UNKNOWN_COMMAND
from bot.telegram.voice import (
    FAILED,
    HEARD,
    NOT_DOWNLOADED,
    TOO_LARGE,
    TOO_LONG,
    VOICE_OFF,
)
from bot.translation import LOCALES, SHIPPED, language_of, translations
from bot.wiring.bot import BotServices
from tests.conftest import StartBot
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html

LINES = [TEXT_ONLY, ASK_USAGE, UNKNOWN_COMMAND, FORGOTTEN, NOT_ALLOWED, ADMINS_ONLY, APOLOGY]
LINES += [DATABASE_BUSY, DATABASE_DOWN, "Please send your question as text."]
LINES += [command.description for command in COMMANDS + ADMIN_COMMANDS]
LINES += [VOICE_OFF, HEARD, TOO_LARGE, TOO_LONG, NOT_DOWNLOADED, *FAILED.values()]
# The shipped refusal and help text (prompts/), said in the reader's language unless edited.
LINES += [PromptLibrary(SHIPPED_PROMPTS_DIR).template(name) for name in ("refusal", "help")]
LINES += [UNDATED, VOICE_TOO]
# An answer's own words: its headings and notes (bot/telegram/answer_words.py).
LINES += ANSWER_LINES
# The replies of /follow, /following, /unfollow, /digest, /timezone and /sources, and what
# the bot sends later on its own: a /follow push, a digest.
LINES += follows.LINES + digests.LINES + sources.LINES + pushes.LINES
PLURALS = follows.PLURALS + sources.PLURALS + pushes.PLURALS  # (singular, plural) message ids
ISOLATES = ("\u2068", "\u2069")


def push(fake: FakeBotAPI, text: str | None, language: str | None, chat: int, **extra: Any) -> None:
    sender: dict[str, Any] = {"id": chat, "is_bot": False, "first_name": "Reader"}
    if language is not None:
        sender["language_code"] = language
    fake.push_message(text, chat_id=chat, user_id=chat, extra={"from": sender, **extra})


def first_strong_direction(text: str) -> str:
    """What a client sets a paragraph's direction from: its first strong character."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("L", "R", "AL"):
            return "rtl" if kind in ("R", "AL") else "ltr"
    return ""


# --- the catalogs ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", SHIPPED)
def test_every_line_and_menu_has_a_translation_keeping_its_placeholders(language: str) -> None:
    catalog = translations(language)
    for line in LINES:
        said = catalog.gettext(line)
        assert said != line, (language, line)
        assert sorted(_fields(said)) == sorted(_fields(line)), (language, line)
    for seconds in (1, 2, 3, 5, 11, 21, 22, 100):
        said = slow_down_message(10, seconds, catalog)
        assert "10" in said and "You've asked" not in said and "{" not in said
    for singular, plural in PLURALS:
        for n in (0, 1, 2, 3, 5, 11, 21, 22, 100, 200):
            said = catalog.ngettext(singular, plural, n)
            assert said not in (singular, plural), (language, plural, n)
            assert set(_fields(said)) <= set(_fields(plural)), (language, plural, n)


@pytest.mark.parametrize("language", SHIPPED)
def test_a_catalog_holds_no_message_the_code_no_longer_says(language: str) -> None:
    path = LOCALES / language / "LC_MESSAGES" / "newsdesk.po"
    with path.open("rb") as po:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.id}
    plurals = slow_down_message.__code__.co_consts + help_in.__code__.co_consts
    known = set(LINES) | {c for c in plurals if isinstance(c, str)}
    known |= {message for pair in PLURALS for message in pair}
    assert ids - known == set()


def test_arabic_reads_right_to_left_with_its_latin_commands_isolated() -> None:
    catalog = translations("ar")
    plural_forms = [catalog.ngettext(*pair, n) for pair in PLURALS for n in range(0, 12)]
    for said in [catalog.gettext(line) for line in LINES] + plural_forms:
        assert first_strong_direction(said) == "rtl", said
        assert said.count(ISOLATES[0]) == said.count(ISOLATES[1])
        if "/ask" in said:
            assert f"{ISOLATES[0]}/ask" in said  # the slash stays with its command
        assert slashes_outside_isolates(said) == 0, said


def slashes_outside_isolates(text: str) -> int:
    """How many "/" (a command's, a time zone's) stand outside an FSI ... PDI isolate, where
    the right-to-left text around them would move them away from their words."""
    depth = outside = 0
    for character in text:
        depth += (character == ISOLATES[0]) - (character == ISOLATES[1])
        outside += character == "/" and depth == 0
    return outside


def test_the_client_language_is_read_from_its_code() -> None:
    class User:
        def __init__(self, code: str | None) -> None:
            self.language_code = code

    assert language_of(User("ru")) == "ru" and language_of(User("pt-BR")) == "pt"
    assert language_of(User("ar_EG")) == "ar" and language_of(User(None)) == ""
    assert language_of(None) == "" and language_of(User("")) == ""
    assert translations("fr").gettext(TEXT_ONLY) == TEXT_ONLY  # no catalog: English
    assert translations("").gettext(TEXT_ONLY) == TEXT_ONLY
    assert translations("../../etc").gettext(TEXT_ONLY) == TEXT_ONLY  # never a path


def test_an_arabic_answer_is_valid_telegram_html_read_right_to_left() -> None:
    citation = Citation(
        1, "International Coalition <underlined>", "mosul.txt", "", "2017-05-20",
        "Last week, al-Hashd al-Shaabi troops resumed the second phase.", "c1", 0.9,
    )  # fmt: skip
    answer = Answer(
        "من يسيطر على القيروان؟",
        "تسيطر قوات al-Hashd al-Shaabi على Qairawan [1]. قتل ٣١٧ عراقيا & أكثر [1].",
        refused=False,
        citations=[citation],
        short_answer="al-Hashd al-Shaabi",
        language="ar",
    )
    for message in render_html(answer):
        visible, error = parse_telegram_html(message)
        assert error == "", message
    first = render_html(answer)[0]
    visible, _ = parse_telegram_html(first)
    body = visible.split("\n", 1)[1]  # the short answer is the article's own, in Latin
    assert first_strong_direction(body) == "rtl"
    assert "[1]" in visible and "&amp;" in first and "&lt;underlined&gt;" in first


# --- through the bot -------------------------------------------------------------------------


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def test_menus_are_set_in_each_language(start_bot: StartBot, seed_bot: BotServices) -> None:
    fake = start_bot(seed_bot, NEWSDESK_ADMIN_IDS="555")
    fake.wait_for(lambda: len(fake.sent("setMyCommands")) == 6)
    calls = fake.sent("setMyCommands")
    by_language = {(c.get("language_code"), "scope" in c): c for c in calls}
    assert set(by_language) == {(lang, admin) for lang in (None, "ar", "ru") for admin in (0, 1)}
    for language in ("ar", "ru"):
        menu = json.loads(by_language[(language, False)]["commands"])
        english = json.loads(by_language[(None, False)]["commands"])
        assert [c["command"] for c in menu] == [c["command"] for c in english]
        assert menu[0]["description"] == translations(language).gettext(COMMANDS[0].description)
        admins = json.loads(by_language[(language, True)]["commands"])
        assert "reindex" in [c["command"] for c in admins]
    arabic_admin = json.loads(by_language[("ar", True)]["commands"])
    assert "أعد مزامنة المصادر والخلاصات" in [c["description"] for c in arabic_admin]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Я могу отвечать только на вопросы, отправленные текстом."),
        ("ar", "لا أستطيع الإجابة إلا عن الأسئلة المرسلة نصًا."),
        ("ar-SA", "لا أستطيع الإجابة إلا عن الأسئلة المرسلة نصًا."),
        ("fr", TEXT_ONLY),
        (None, TEXT_ONLY),
    ],
)
def test_a_fixed_line_is_said_in_the_client_s_language(
    start_bot: StartBot, seed_bot: BotServices, language: str | None, expected: str
) -> None:
    fake = start_bot(seed_bot)
    sticker = {"file_id": "f1", "file_unique_id": "u1", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    push(fake, None, language, 301, sticker=sticker)
    fake.wait_for(lambda: len(fake.delivered(301)) >= 1)
    assert fake.delivered(301) == [expected]


def test_commands_and_errors_in_arabic_and_russian(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    push(fake, "/nosuch", "ar", 401)
    push(fake, "/reset", "ru", 402)
    push(fake, "/ask", "ru", 402)
    push(fake, "/ask " + " ", "ar", 401)
    fake.wait_for(lambda: len(fake.delivered(401)) >= 2 and len(fake.delivered(402)) >= 2)
    arabic, russian = fake.delivered(401), fake.delivered(402)
    assert arabic[0] == translations("ar").gettext(UNKNOWN_COMMAND).format(command="/nosuch")
    assert "/nosuch" in arabic[0] and first_strong_direction(arabic[0]) == "rtl"
    assert arabic[1] == translations("ar").gettext(ASK_USAGE)
    assert russian == [translations("ru").gettext(FORGOTTEN), translations("ru").gettext(ASK_USAGE)]


def test_an_answer_is_in_the_question_s_language_whatever_the_client_s(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    """A Russian client asking in English gets the English answer: the question says which
    language the reader reads; only the bot's fixed lines follow the client."""
    fake = start_bot(seed_bot)
    push(fake, "who controls Qairawan?", "ru", 501)
    fake.wait_for(lambda: len(fake.delivered(501)) >= 1)
    (answer,) = fake.delivered(501)
    assert "al-Hashd al-Shaabi" in answer and "Я читаю" not in answer


def test_an_error_line_is_said_in_the_client_s_language_when_a_catalog_has_it(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    """An empty question (control characters alone) is told in Russian; a line with figures
    in it (a question too long) has no catalog entry and stays English, whole."""
    fake = start_bot(seed_bot)
    push(fake, "\x01\x02", "ru", 601)
    fake.wait_for(lambda: len(fake.delivered(601)) >= 1)
    push(fake, "¿" + "x" * 3000, "ru", 601)
    fake.wait_for(lambda: len(fake.delivered(601)) >= 2)
    empty, long = fake.delivered(601)
    assert empty == "Пожалуйста, отправьте ваш вопрос текстом."
    assert long.startswith("That question is 3,001 characters long")
