"""The replies of /follow, /following, /unfollow, /digest, /timezone and /sources in the
client's language (issue 29): Russian and Arabic clients read them from the catalogs, an
English client (or one without a catalog) reads exactly the English of before. The real
Application over the seed article's store against the fake Bot API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.translation import translations
from bot.wiring.bot import BotServices
from tests.conftest import StartBot
from tests.support.fake_telegram import FakeBotAPI
from tests.test_telegram_languages import first_strong_direction, push

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
TOPIC = "the mayor of Tal Sufouq"
# Each command and the reply an English client gets, exactly as before the catalogs had them.
ENGLISH = [
    ("/follow", "Send /follow and the story to follow, in a few words (at most 200 characters), "
     "for example: /follow the mayor of Tal Sufouq. New reports on it then come here after the "
     "articles are indexed."),
    (f"/follow {TOPIC}", f"Following “{TOPIC}”. When new articles on it are indexed, I send "
     "them here (at most one message every few minutes). /following lists what you follow; "
     "/unfollow N stops one."),
    ("/following", f"You follow here:\n1. {TOPIC}\n/unfollow N stops following number N."),
    ("/unfollow", "Send /unfollow and the number /following shows for the story, for example: "
     "/unfollow 2."),
    ("/unfollow " + "x" * 5000, "“xxxxxxxxxxxxxxxxxxxx…” is not a number. Send /unfollow and "
     "the number /following shows for the story, for example: /unfollow 2."),
    ("/unfollow " + "9" * 400, "There is no follow number 999999…. Send /unfollow and the "
     "number /following shows for the story, for example: /unfollow 2."),
    ("/unfollow 1", f"Stopped following “{TOPIC}”."),
    ("/following", "You follow nothing here. /follow TOPIC starts following a story."),
    ("/timezone", "Your time zone here is UTC. Send /timezone and its IANA name, for example: "
     "/timezone Europe/Berlin."),
    ("/timezone Europe/Berlin", "Time zone set to Europe/Berlin."),
    ("/digest", "Send /digest HH:MM for a daily digest of new reports on the stories you follow, "
     "at that time (your time zone: /timezone), or /digest off to stop it."),
    ("/digest 08:30", "Your digest of the stories you follow comes daily at 08:30 "
     "(Europe/Berlin; /timezone changes it). /follow TOPIC adds a story; /digest off stops it."),
    ("/digest", "Your digest comes daily at 08:30 (Europe/Berlin). Send /digest HH:MM for a "
     "daily digest of new reports on the stories you follow, at that time (your time zone: "
     "/timezone), or /digest off to stop it."),
    ("/timezone Asia/Riyadh", "Time zone set to Asia/Riyadh. Your digest comes daily at 08:30 "
     "there."),
    ("/digest off", "Daily digest off."),
    ("/sources", "Collections (articles):\n• main: 1\nThis chat answers from every collection.\n"
     "Admins: /sources NAME [NAME ...] keeps this chat to those collections; /sources all "
     "answers from every collection again."),
    ("/sources nosuch", "Not changed: no articles are in nosuch (the collections: main). "
     "Admins: /sources NAME [NAME ...] keeps this chat to those collections; /sources all "
     "answers from every collection again."),
    ("/sources " + "w " * 21, "Not changed: name at most 20 collections. Admins: /sources "
     "NAME [NAME ...] keeps this chat to those collections; /sources all answers from every "
     "collection again."),
    ("/sources main all", "Not changed: 'all' goes alone: /sources all. Admins: /sources NAME "
     "[NAME ...] keeps this chat to those collections; /sources all answers from every "
     "collection again."),
    ("/sources main", "This chat now answers from main: questions, /follow and /articles keep "
     "to it."),
    ("/sources all", "This chat now answers from every collection: questions, /follow and "
     "/articles keep to it."),
]  # fmt: skip


def replies_to(fake: FakeBotAPI, language: str | None, chat: int) -> list[str]:
    """Send every command of ENGLISH in turn, each after the last one's reply; the replies."""
    for sent, (text, _) in enumerate(ENGLISH, start=1):
        push(fake, text, language, chat)
        fake.wait_for(lambda: len(fake.delivered(chat)) >= sent)  # noqa: B023 (waited on here)
    return fake.delivered(chat)


def translated_replies(
    fake: FakeBotAPI, language: str, chat: int, reads_as: Callable[[str], object]
) -> list[str]:
    """The replies to ENGLISH's commands, each checked: not the English one, in the language
    (`reads_as`), every placeholder filled."""
    said = replies_to(fake, language, chat)
    assert len(said) == len(ENGLISH)
    for reply, (command, english) in zip(said, ENGLISH, strict=True):
        assert reply != english and reads_as(reply), (command, reply)
        assert "{" not in reply, (command, reply)
    return said


@pytest.mark.parametrize(("language", "chat"), [(None, 7101), ("en", 7102), ("fr-CA", 7103)])
def test_an_english_client_reads_exactly_the_english_of_before(
    start_bot: StartBot, seed_bot: BotServices, language: str | None, chat: int
) -> None:
    fake = start_bot(seed_bot)
    assert replies_to(fake, language, chat) == [reply for _, reply in ENGLISH]


def test_a_russian_client_reads_every_reply_in_russian(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    said = translated_replies(start_bot(seed_bot), "ru", 7201, CYRILLIC.search)
    assert said[0].startswith("Отправьте /follow") and "не больше 200 символов" in said[0]
    assert said[1].startswith(f"Слежу за сюжетом «{TOPIC}».")
    assert said[2] == (
        f"Здесь вы следите за сюжетами:\n1. {TOPIC}\n/unfollow N — перестать следить за сюжетом "
        "номер N."
    )
    assert said[4].startswith("«xxxxxxxxxxxxxxxxxxxx…» — не номер. Отправьте /unfollow")
    assert said[5].startswith("Сюжета с номером 999999… нет.")
    assert said[6] == f"Больше не слежу за сюжетом «{TOPIC}»."
    assert said[9] == "Установлен часовой пояс Europe/Berlin."
    assert said[13] == (
        "Установлен часовой пояс Asia/Riyadh. Сводка будет приходить ежедневно в 08:30 по "
        "этому времени."
    )
    assert said[14] == "Ежедневная сводка отключена."
    assert said[15].startswith("Коллекции (статей):\n• main: 1\nЭтот чат отвечает из всех ")
    assert said[16].startswith("Не изменено: в nosuch нет статей (коллекции: main).")
    assert said[17].startswith("Не изменено: назовите не больше 20 коллекций.")
    assert said[19].startswith("Теперь этот чат отвечает из main:")


def test_an_arabic_client_reads_every_reply_in_arabic_right_to_left(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    said = translated_replies(
        start_bot(seed_bot), "ar-SA", 7301, lambda reply: first_strong_direction(reply) == "rtl"
    )
    arabic = translations("ar")
    assert said[14] == "أُوقف الملخص اليومي." == arabic.gettext("Daily digest off.")
    assert f"\u2068{TOPIC}\u2069" in said[1]  # the reader's own words, isolated
    assert said[2].startswith(f"تتابع هنا:\n1. {TOPIC}\n")
    assert "\u2068Asia/Riyadh\u2069" in said[13] and "\u206808:30\u2069" in said[13]
    assert said[15].startswith("المجموعات (المقالات):\n• main: 1\n")
    assert "\u2068main\u2069" in said[19]


def test_a_reason_from_outside_the_bot_s_words_stays_english_in_a_translated_reply(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    """A malformed collection name's reason comes from index.collections, a bad time's and a
    too long topic's from bot.state: said as they are, the rest of the reply translated."""
    fake = start_bot(seed_bot)
    for sent, text in enumerate(["/sources ../etc", "/digest 25:99", "/follow " + "x " * 300], 1):
        push(fake, text, "ru", 7401)
        fake.wait_for(lambda: len(fake.delivered(7401)) >= sent)  # noqa: B023
    bad_name, bad_time, too_long = fake.delivered(7401)
    assert bad_name.startswith("Не изменено: ") and "Администраторам: /sources" in bad_name
    assert bad_time.startswith("“25:99” is not a time of day") and "Отправьте /digest" in bad_time
    assert too_long.startswith("That topic is 599 characters long")
