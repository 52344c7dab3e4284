"""An answer's own words in the Telegram reader's language (issue 29): the "Sources" heading,
"also: ...", the dates of the sources, the note on a partly unsupported answer, "(Understood
as: ...)", the empty index's reply and the notes the chain writes into an answer (its newest
report's date, reports that differ by date, the span a refusal searched), said from the
catalog of the client's `language_code`; English clients, and the terminal, see exactly what
they saw. The real renderer and catalogs; through the bot, the real Application over the seed
article's Chroma store against the fake Bot API."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.answering.answers import Answer, Citation
from bot.answering.conversation import Turn
from bot.answering.service import EMPTY_INDEX
from bot.render import ENGLISH, render_html, render_text
from bot.telegram.answer_words import ReaderWording, english_day, wording_for
from bot.translation import translations
from bot.wiring.bot import BotServices, build_bot
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.conftest import StartBot, make_settings
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html
from tests.test_telegram_dates import VARNAK, sent_on
from tests.test_telegram_languages import (
    ISOLATES,
    first_strong_direction,
    push,
)

RUSSIAN, ARABIC = ReaderWording("ru"), ReaderWording("ar")
DIFFERING = (
    "The Red Front, as of 5 March 2024 [1]; before that, The Blue Brigade (10 January 2024) [2]."
)
NOTES = [
    DIFFERING,
    "The Red Front holds Varnak [1].",
    "(Newest report cited: 20 May 2017.)",
    "(Newest report cited: 20 May 2017, none from 1 January 2024 to 31 January 2024.)",
]


class User:
    def __init__(self, code: str | None) -> None:
        self.language_code = code


def answer_with_everything() -> Answer:
    citations = [
        Citation(1, "Red Front <takes> Varnak", "Daily", "https://example.org/a?x=1&y=2",
                 "2024-03-05", "The Red Front holds Varnak & the bridge.", "c1", 0.9,
                 also=["Other Daily", "Wire"]),
        Citation(2, "", "", "", "Spring 2024", "The Blue Brigade held it.", "c2", 0.8),
    ]  # fmt: skip
    return Answer(
        "who controls Varnak now?", "\n".join(NOTES), refused=False, citations=citations,
        unsupported=True, short_answer="The Red Front", understood_as="who controls Varnak now?",
    )  # fmt: skip


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["en", "en-GB", "fr", "", None])
def test_a_client_without_a_catalog_gets_exactly_the_terminal_s_english(code: str | None) -> None:
    answer = answer_with_everything()
    words = wording_for(User(code))
    assert words is ENGLISH
    rendered = render_html(answer, words=words)
    assert rendered == render_html(answer)
    text = parse_telegram_html(rendered[0])[0]
    assert "\nSources\n" in text and "Daily · 2024-03-05; also: Other Daily, Wire" in text
    assert "[2] Untitled — Spring 2024" in text
    assert "Part of the LLM's answer was left out: the passages it cited don't support it." in text
    for note in NOTES:
        assert f"{note}\n" in text
    assert Turn(answer).preface_in(words.line) == "(Understood as: who controls Varnak now?)"
    terminal = render_text(answer)  # the terminal's, as it was
    assert "\n\nSources:\n[1] Red Front <takes> Varnak (Daily · 2024-03-05; also: Other" in terminal


def test_a_russian_answer_says_its_own_words_in_russian() -> None:
    answer = answer_with_everything()
    (message,) = render_html(answer, words=RUSSIAN)
    text, error = parse_telegram_html(message)
    assert error == ""
    lines = text.split("\n")
    assert lines[1] == (
        "The Red Front — по данным на 5 марта 2024\u202fг. [1]; до этого — The Blue Brigade "
        "(10 января 2024\u202fг.) [2]."
    )
    assert lines[2] == "The Red Front holds Varnak [1]."  # the articles' words, as they are
    assert lines[3] == "(Самое новое из цитируемых сообщений — от 20 мая 2017\u202fг.)"
    assert lines[4] == (
        "(Самое новое из цитируемых сообщений — от 20 мая 2017\u202fг.; ни одно не опубликовано"
        " с 1 января 2024\u202fг. по 31 января 2024\u202fг.)"
    )
    assert "\nИсточники\n" in text and "Часть ответа LLM опущена" in text
    assert "Daily · 5 марта 2024\u202fг.; также: Other Daily, Wire" in text
    assert "[2] Без заголовка — Spring 2024" in text  # a date it can't read: as given
    assert "The Red Front holds Varnak & the bridge." in text  # the quote, verbatim
    assert "&amp;" in message and "&lt;takes&gt;" in message
    said = Turn(answer).preface_in(RUSSIAN.line)
    assert said == "(Понял вопрос так: who controls Varnak now?)"


def test_an_arabic_answer_reads_right_to_left_in_valid_telegram_html() -> None:
    answer = answer_with_everything()
    (message,) = render_html(answer, words=ARABIC)
    text, error = parse_telegram_html(message)
    assert error == ""
    lines = text.split("\n")
    isolated = f"{ISOLATES[0]}The Red Front{ISOLATES[1]}"
    assert lines[1].startswith("بحسب تقرير 5 مارس 2024: " + isolated + " [1]؛")
    assert f"{ISOLATES[0]}The Blue Brigade{ISOLATES[1]} (10 يناير 2024) [2]." in lines[1]
    assert lines[3] == "(أحدث تقرير مستشهد به: 20 مايو 2017.)"
    assert "بين 1 يناير 2024 و31 يناير 2024" in lines[4]
    for line in [lines[1], lines[3], lines[4], "المصادر"]:  # lines[2] is the articles' own
        assert first_strong_direction(line) == "rtl", line
        assert line.count(ISOLATES[0]) == line.count(ISOLATES[1])
    assert "\nالمصادر\n" in text and "حُذف جزء من إجابة النموذج اللغوي" in text
    assert f"وأيضًا: {ISOLATES[0]}Other Daily, Wire{ISOLATES[1]}" in text
    preface = Turn(answer).preface_in(ARABIC.line)
    assert preface == f"(فهمت السؤال هكذا: {ISOLATES[0]}who controls Varnak now?{ISOLATES[1]})"
    assert first_strong_direction(preface) == "rtl"


def test_the_refusal_s_span_and_the_empty_index_are_said_in_the_reader_s_language() -> None:
    refusal = "The articles I have don't cover that question."
    searched = f"{refusal} (Only articles published since 1 March 2024 were searched.)"
    said = RUSSIAN.answer(searched)
    assert said == f"{refusal} (Поиск шёл только по статьям, опубликованным с 1 марта 2024\u202fг.)"
    on_a_day = ARABIC.answer(f"{refusal} (Only articles published on 9 May 2024 were searched.)")
    assert on_a_day.endswith("(بحثت فقط في المقالات المنشورة في 9 مايو 2024.)")
    assert RUSSIAN.answer(EMPTY_INDEX) == translations("ru").gettext(EMPTY_INDEX) != EMPTY_INDEX
    assert RUSSIAN.answer(EMPTY_INDEX).startswith("Пока ничего не проиндексировано")
    assert "`newsdesk index FILE_OR_FOLDER_OR_URL`" in ARABIC.answer(EMPTY_INDEX)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "(Newest report cited: 31 February 2024.)",  # no such day: left as written
        "(Newest report cited: 20 Mai 2017.)",
        "(Newest report cited: 20 May 2017)",
        "Red, as of 5 March 2024 [x]; before that, Blue (10 January 2024) [2].",
        "Nothing is indexed yet, so I have no articles to answer from.",
        "(Only articles published since yesterday were searched.)",  # no space before it
        "x (Only articles published from 1 May 2024 were searched.)",  # a span it never says
    ],
)
def test_text_that_is_not_one_of_its_notes_is_left_as_it_is(text: str) -> None:
    assert RUSSIAN.answer(text) == text
    assert ARABIC.answer(text) == text


@pytest.mark.parametrize("published", ["", "2024-02-30", "2024-3-5", "March 2024", "x" * 40])
def test_a_source_date_it_can_t_read_is_shown_as_the_article_gives_it(published: str) -> None:
    assert RUSSIAN.day(published) == published


def test_a_huge_answer_is_restated_quickly_and_still_fits_telegram() -> None:
    lines = ["Red, as of " * 500 + "5 March 2024 [1]; before that, " * 500] * 40
    lines += ["(Newest report cited: 20 May 2017.)"] * 2000
    answer = Answer("q", "\n".join(lines), refused=False)
    started = time.perf_counter()
    messages = render_html(answer, words=RUSSIAN)
    assert time.perf_counter() - started < 5
    assert all(parse_telegram_html(m)[1] == "" and len(m) <= 4096 for m in messages)
    assert "(Самое новое из цитируемых сообщений — от 20 мая 2017\u202fг.)" in messages[-1]


def test_the_dates_read_back_are_the_ones_written() -> None:
    assert english_day("5 March 2024") == date(2024, 3, 5)
    assert english_day("31 December 1999") == date(1999, 12, 31)


# --- through the bot -------------------------------------------------------------------------


def _replies(fake: FakeBotAPI, chat: int, count: int) -> list[str]:
    fake.wait_for(lambda: len(fake.delivered(chat)) >= count)
    return fake.delivered(chat)


def _sent(fake: FakeBotAPI, chat: int) -> list[dict[str, Any]]:
    return [p for p in fake.sent(chat_id=chat) if p.get("_status") == 200]


@pytest.fixture
def varnak_bot(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> BotServices:
    """Three reports on Varnak: January and March differ on who holds it, April agrees with
    March."""
    articles = [
        Article(key=key, title=f"Varnak report {key}", text=text, published=published)
        for key, published, text in VARNAK
    ]
    keyword = KeywordIndex(make_settings(tmp_path).home / "keyword")
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)
    return build_bot(make_settings(tmp_path), store=fresh_store, embeddings=embeddings)


def test_russian_arabic_and_english_clients_ask_and_each_gets_its_own_words(
    start_bot: StartBot, varnak_bot: BotServices
) -> None:
    """ "now", asked on 25 April 2024 of reports that differ by date, leads with the newest and
    what the earlier one said; asked today, it says how old its newest report is. The Russian
    and Arabic readers get those lines and the heading in their language, in valid HTML; the
    English reader, and a client that names no language, exactly today's English."""
    fake = start_bot(varnak_bot)
    clients = {801: "ru", 802: "ar", 803: "en", 804: None}
    for chat, language in clients.items():
        push(fake, "who controls Varnak now?", language, chat, **sent_on(date(2024, 4, 25)))
        _replies(fake, chat, 1)
        push(fake, "who controls Varnak now?", language, chat)  # today: the reports are old
    russian, arabic, english, unsaid = (_replies(fake, chat, 2) for chat in clients)
    for chat in clients:
        for params in _sent(fake, chat):
            assert params["parse_mode"] == "HTML"
            assert parse_telegram_html(str(params["text"]))[1] == ""
    lead = "The Red Front — по данным на 20 апреля 2024\u202fг. ["
    assert (
        lead in russian[0]
        and "до этого — The Blue Brigade (10 января 2024\u202fг.) [" in russian[0]
    )
    assert "\n(Самое новое из цитируемых сообщений — от 20 апреля 2024\u202fг.)\n" in russian[1]
    assert "<b>Источники</b>" in russian[1] and "Sources" not in russian[1]
    assert " — 20 апреля 2024\u202fг.\n<blockquote>" in russian[1]
    assert "The Red Front controls Varnak" in russian[1]  # the articles' words, as they are
    isolated = f"{ISOLATES[0]}The Red Front{ISOLATES[1]}"
    assert f"\nبحسب تقرير 20 أبريل 2024: {isolated} [" in arabic[0]
    assert "\n(أحدث تقرير مستشهد به: 20 أبريل 2024.)\n" in arabic[1]
    assert "<b>المصادر</b>" in arabic[1] and "Sources" not in arabic[1]
    assert "\nThe Red Front, as of 20 April 2024 [" in english[0]
    assert "before that, The Blue Brigade (10 January 2024) [" in english[0]
    assert "\n(Newest report cited: 20 April 2024.)\n\n<b>Sources</b>\n\n" in english[1]
    assert " — 2024-04-20\n<blockquote>" in english[1]
    assert english == unsaid


def test_a_follow_up_is_understood_in_the_reader_s_language(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    push(fake, "who controls Qairawan?", "ru", 711)
    push(fake, "who controls Qairawan?", "ar", 712)
    _replies(fake, 711, 1), _replies(fake, 712, 1)
    push(fake, "and who leads them?", "ru", 711)
    push(fake, "and who leads them?", "ar", 712)
    russian, arabic = _replies(fake, 711, 3), _replies(fake, 712, 3)
    assert russian[1] == "(Понял вопрос так: who leads al-Hashd al-Shaabi?)"
    isolated = f"{ISOLATES[0]}who leads al-Hashd al-Shaabi?{ISOLATES[1]}"
    assert arabic[1] == f"(فهمت السؤال هكذا: {isolated})"
    assert "Hadi al-Amiri" in russian[2] and "Hadi al-Amiri" in arabic[2]


def test_a_refusal_within_dates_says_the_span_in_russian(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    push(fake, "/ask since:2024-03-01 until:2024-03-31 who controls Qairawan?", "ru", 721)
    (refusal,) = _replies(fake, 721, 1)
    assert refusal.endswith(
        "(Поиск шёл только по статьям, опубликованным с 1 марта 2024\u202fг. "
        "по 31 марта 2024\u202fг.)"
    )
    assert "Only articles" not in refusal


def test_an_empty_index_is_said_in_the_reader_s_language(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings, start_bot: StartBot
) -> None:
    services = build_bot(make_settings(tmp_path), embeddings=embeddings)
    fake = start_bot(services)
    push(fake, "who controls Qairawan?", "ar", 731)
    push(fake, "who controls Qairawan?", "en", 732)
    (arabic,) = _replies(fake, 731, 1)
    (english,) = _replies(fake, 732, 1)
    assert arabic.startswith("لم يُفهرس شيء بعد") and parse_telegram_html(arabic)[1] == ""
    assert english == EMPTY_INDEX
