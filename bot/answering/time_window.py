"""The time a question is about, read against the day it is asked: "now" and "latest" ask for
the newest reports; "today", "yesterday", "last week", "this month", "in January 2024", "since
March" and "before 2023" name a span of publication dates.

Dates given explicitly (`newsdesk ask --since/--until`, `/ask since:DATE`) are a filter. A
span read from the question's words changes no ranking: news-quiz questions say "in 2018" of
the past an article published this week recalls, and "this year" of nearly anything, and
ranking the span's reports first lost on both train sets (BENCHMARKS.md, "Time in
questions"); what it does is say when the question's "now" is. A span that starts after the
day asked (a plan, a scheduled game) is no span.

Month and year expressions are parsed with `dateparser` (imported only for a question holding
one); relative words are read by rule, Monday-based weeks and calendar months."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from index.errors import NewsdeskError

# Questions asking for the current state of things.
# Questions asking for the current state of things. "this week" is one too, not a span: news
# quizzes say it of nearly every question, and as a span it did not win on the train sets
# (BENCHMARKS.md, "Time in questions").
RECENT = re.compile(
    r"\b(now|currently|current|latest|at present|these days|this week|most recent(ly)?)\b",
    re.I,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A date as a question writes one: "5 March 2024", "March 5, 2024", "March 2024", "March",
# "2023", "2024-03-05". "May" alone is a month only after a preposition (see _SPAN).
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?(?:,?\s+(?:19|20)\d{{2}})?"
    rf"|(?:{_MONTHS})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+(?:19|20)\d{{2}})?"
    r"|(?:19|20)\d{2}-\d{2}-\d{2}"
    r"|(?:19|20)\d{2})"
)
_SPAN = re.compile(rf"\b(in|during|on|since|after|from|before|until|till|by)\s+({_DATE})\b", re.I)
_RELATIVE = re.compile(
    r"\b(today|yesterday|(?:last|past)\s+week|(?:this|last|past)\s+(?:month|year))\b", re.I
)


_YEAR = re.compile(r"\b(19|20)\d{2}\b")


@dataclass(frozen=True)
class TimeWindow:
    """Publication dates a question asks about (either end open), whether it asks for the
    newest (`recent`), whether the span is a filter (`hard`), and its words (`said`)."""

    since: date | None = None
    until: date | None = None
    recent: bool = False
    hard: bool = False
    said: str = ""

    @property
    def is_span(self) -> bool:
        return self.since is not None or self.until is not None

    def holds(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def describe(self) -> str:
        """The span in words: "from 1 January 2024 to 31 January 2024", "since 1 March 2024"."""
        if self.since and self.until:
            if self.since == self.until:
                return SPAN_ON.format(day=spoken(self.since))
            return SPAN_BETWEEN.format(since=spoken(self.since), until=spoken(self.until))
        if self.since:
            return SPAN_SINCE.format(day=spoken(self.since))
        if self.until:
            return SPAN_UNTIL.format(day=spoken(self.until))
        return ""


# A span in words, as `TimeWindow.describe` says it (bot/telegram/answer_words.py says it again
# in the reader's language, and reads these to find it in an answer).
SPAN_ON = "on {day}"
SPAN_BETWEEN = "from {since} to {until}"
SPAN_SINCE = "since {day}"
SPAN_UNTIL = "until {day}"
SPANS = (SPAN_ON, SPAN_BETWEEN, SPAN_SINCE, SPAN_UNTIL)
# The months as `spoken` names them, whatever the process's locale.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def spoken(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def window_in(question: str, asked_on: date) -> TimeWindow | None:
    """The time `question` asks about, read against `asked_on`; None if it names none."""
    recent = RECENT.search(question)
    span = _relative_span(question, asked_on) or _named_span(question, asked_on)
    if span is not None and span[0] is not None and span[0] > asked_on:
        span = None  # a plan or a scheduled event: nothing is published there yet
    if span is None:
        return TimeWindow(recent=True, said=recent[0]) if recent else None
    since, until, said = span
    if until is not None and until > asked_on:
        until = asked_on
    return TimeWindow(since, until, recent=recent is not None, said=said)


class DatesError(NewsdeskError):
    """Dates given the wrong way round, or not a date; the message says so."""


def explicit_window(since: date | None, until: date | None) -> TimeWindow | None:
    """The span given as dates (`--since/--until`): a filter. DatesError if it is empty."""
    if since is None and until is None:
        return None
    if since is not None and until is not None and since > until:
        raise DatesError(f"the dates are the wrong way round: {since} is after {until}")
    return TimeWindow(since, until, hard=True, said="the dates given")


Span = tuple[date | None, date | None, str]


def _relative_span(question: str, asked_on: date) -> Span | None:
    found = _RELATIVE.search(question)
    if found is None:
        return None
    words = " ".join(found[1].lower().split())
    monday = asked_on - timedelta(days=asked_on.weekday())
    first_of_month = asked_on.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    spans: dict[str, tuple[date, date]] = {
        "today": (asked_on, asked_on),
        "yesterday": (asked_on - timedelta(days=1), asked_on - timedelta(days=1)),
        "past week": (asked_on - timedelta(days=7), asked_on),
        "last week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this month": (first_of_month, asked_on),
        "past month": (asked_on - timedelta(days=30), asked_on),
        "last month": (last_month_end.replace(day=1), last_month_end),
        "this year": (date(asked_on.year, 1, 1), asked_on),
        "past year": (asked_on - timedelta(days=365), asked_on),
        "last year": (date(asked_on.year - 1, 1, 1), date(asked_on.year - 1, 12, 31)),
    }
    since, until = spans[words]
    return since, until, found[0]


def _named_span(question: str, asked_on: date) -> Span | None:
    found = _SPAN.search(question)
    if found is None:
        return None
    word, written = found[1].lower(), found[2]
    if written.lower() == "may" and word not in ("in", "during", "since", "until", "before"):
        return None  # "by May" is a month, "may" after "on" is more likely the verb
    period = _parse(written, asked_on)
    if period is None:
        return None
    start, end = period
    if word in ("since", "from"):
        return start, None, found[0]
    if word == "after":
        return end + timedelta(days=1), None, found[0]
    if word == "before":
        return None, start - timedelta(days=1), found[0]
    if word in ("until", "till", "by"):
        return None, end, found[0]
    return start, end, found[0]


def _parse(written: str, asked_on: date) -> tuple[date, date] | None:
    """The first and last day `written` names: a day, a month or a year; the most recent
    one not after `asked_on` when it leaves out the year."""
    from dateparser.date import DateDataParser  # a second of data; only for such questions

    base = datetime(asked_on.year, asked_on.month, asked_on.day)
    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base, "PREFER_DAY_OF_MONTH": "first"}
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(written)  # type: ignore[arg-type]
    if data.date_obj is None:
        return None
    day = data.date_obj.date()
    if data.period == "day" and not _YEAR.search(written):
        # A day without a year is this year's; after today it is a schedule ("the Super Bowl
        # on February 12"), not a span of reports.
        day = _this_years(day, asked_on.year)
        return None if day is None or day > asked_on else (day, day)
    if data.period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if data.period == "month":
        return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])
    return day, day


def _this_years(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None
