"""An answer's own words in the Telegram reader's language: the "Sources" heading, "also: ...",
the note on a partly unsupported answer, how a question was understood, the empty index's
reply, and the notes the answering chain writes into an answer's text in English (the date of
its newest report, reports that differ by date, the span a refusal searched), said again from
the catalog of the client's `language_code` when the answer is rendered. Dates in those lines
are Babel's, with the language's month names.

The answer itself is left as it is (its sentences are the articles', its quotes verbatim), and
so is everything kept of it (the answer log, the conversation's memory, the CLI's output): the
notes are found in its text by the English templates that wrote them, so a template changed
in English is simply shown in English until its catalog entry follows."""

from __future__ import annotations

import gettext
import re
import string
from datetime import date

from babel.dates import format_date

from bot.answering.chain import ONLY_SEARCHED
from bot.answering.conversation import UNDERSTOOD_AS
from bot.answering.dated import NEWEST_CITED, NEWEST_CITED_OUTSIDE
from bot.answering.extractive import DIFFERING
from bot.answering.service import EMPTY_INDEX
from bot.answering.time_window import MONTHS, SPANS
from bot.render import ALSO, ENGLISH, SOURCES, UNSUPPORTED_NOTE, UNTITLED, Wording
from bot.translation import SHIPPED, language_of, translations

# A date as `time_window.spoken` writes it: "5 March 2024".
_DAY = rf"\d{{1,2}} (?:{'|'.join(MONTHS)}) \d{{4}}"
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FIELDS = {"newest_n": r"\d+", "older_n": r"\d+", "newest": ".+?", "older": ".+?"}
_DAY_FIELDS = ("day", "since", "until", "newest_day", "older_day")


def _pattern(template: str, *, named: bool = True) -> str:
    """A regular expression matching what `template` says: a named group per field (none
    when not `named`: a span inside a note)."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is None:
            continue
        if field == "span":
            said = "|".join(_pattern(span, named=False) for span in SPANS)
        else:
            said = _DAY if field in _DAY_FIELDS else _FIELDS[field]
        parts.append(f"(?P<{field}>{said})" if named else f"(?:{said})")
    return "".join(parts)


# The notes said on a line of their own, and the span a refusal searched, said at its end.
_LINE_NOTES = [
    (template, re.compile(_pattern(template)))
    for template in (NEWEST_CITED_OUTSIDE, NEWEST_CITED, DIFFERING)
]
_ONLY_SEARCHED = re.compile(rf"(?<= ){_pattern(ONLY_SEARCHED)}$")
_SPANS = [(template, re.compile(_pattern(template))) for template in SPANS]
# Every message id this module says (tests check each catalog has them all).
LINES: tuple[str, ...] = (SOURCES, ALSO, UNTITLED, UNSUPPORTED_NOTE, UNDERSTOOD_AS, EMPTY_INDEX)
LINES += (ONLY_SEARCHED, NEWEST_CITED, NEWEST_CITED_OUTSIDE, DIFFERING, *SPANS)


def english_day(spoken: str) -> date:
    """The date `time_window.spoken` wrote: "5 March 2024"."""
    day, month, year = spoken.split(" ")
    return date(int(year), MONTHS.index(month) + 1, int(day))


class ReaderWording(Wording):
    """The bot's words in an answer in a shipped language (`language`, ISO 639-1)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.catalog: gettext.NullTranslations = translations(language)

    def line(self, text: str) -> str:
        return self.catalog.gettext(text)

    def day(self, published: str) -> str:
        found = _ISO_DAY.fullmatch(published)
        if found is None:
            return published  # not a date (index.articles.normalize_date): as the article has it
        try:
            day = date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            return published
        return self._date(day)

    def answer(self, text: str) -> str:
        if text == EMPTY_INDEX:
            return self.line(EMPTY_INDEX)
        return "\n".join(self._restated(line) for line in text.split("\n"))

    def _date(self, day: date) -> str:
        return format_date(day, format="long", locale=self.language)

    def _restated(self, line: str) -> str:
        """One line of an answer, a note in it said in the reader's language; a line only
        shaped like one (a date that is no day: an LLM's, not the chain's) as it is."""
        try:
            for template, pattern in _LINE_NOTES:
                found = pattern.fullmatch(line)
                if found is not None:
                    return self._said(template, found)
            found = _ONLY_SEARCHED.search(line)
            if found is not None:
                return line[: found.start()] + self._said(ONLY_SEARCHED, found)
        except ValueError:
            pass
        return line

    def _said(self, template: str, found: re.Match[str]) -> str:
        values: dict[str, str] = {}
        for field, value in found.groupdict().items():
            if field == "span":
                values[field] = self._span(value)
            elif field in _DAY_FIELDS:
                values[field] = self._date(english_day(value))
            else:
                values[field] = value
        return self.line(template).format(**values)

    def _span(self, said: str) -> str:
        for template, pattern in _SPANS:
            found = pattern.fullmatch(said)
            if found is not None:
                return self._said(template, found)
        return said


def wording_for(user: object) -> Wording:
    """The wording for a Telegram user's client language: English, exactly as the terminal
    shows it, for a language without a catalog."""
    return wording_in(language_of(user))


def wording_in(language: str | None) -> Wording:
    """The wording for a language code (one kept with a follow or digest: anything, or None);
    English, as the terminal shows it, for all but a shipped language."""
    return ReaderWording(language) if language in SHIPPED else ENGLISH
