"""What an answer says of time: the date of its reports when the question asked for the newest
and they are old, or named a span none of them is from; and, for the LLM, the day the
question was asked and the time it asks about (time_window.py reads that time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.answering.answers import Answer
from bot.answering.retrieval_steps import day_number
from bot.answering.time_window import TimeWindow, spoken

# The notes added to an answer, on a line of their own (bot/telegram/answer_words.py says them
# again in the reader's language).
NEWEST_CITED = "(Newest report cited: {day}.)"
NEWEST_CITED_OUTSIDE = "(Newest report cited: {day}, none {span}.)"


def dated_if_outside(answer: Answer, window: TimeWindow) -> Answer:
    """The answer with its reports' dates when none is from the span the question names:
    "in January 2024", answered from an April report, says so."""
    days = [day_number(c.published) for c in answer.citations]
    dated = [date.fromordinal(d) for d in days if d is not None]
    if not dated or any(window.holds(day) for day in dated):
        return answer
    note = NEWEST_CITED_OUTSIDE.format(day=spoken(max(dated)), span=window.describe())
    return replace(answer, answer=f"{answer.answer}\n{note}")


def dated_if_stale(answer: Answer, asked_on: date, stale_days: int) -> Answer:
    """The answer with the date of its newest cited report when that is over `stale_days`
    old: "now" in the question, but the articles may be out of date."""
    days = [day_number(c.published) for c in answer.citations]
    newest = max((d for d in days if d is not None), default=None)
    if newest is None or asked_on.toordinal() - newest <= stale_days:
        return answer
    note = NEWEST_CITED.format(day=spoken(date.fromordinal(newest)))
    return replace(answer, answer=f"{answer.answer}\n{note}")


def when_asked(as_of: date | None, window: TimeWindow | None) -> str:
    """The question's time, for the LLM, which sees each passage's date: the day asked, and
    the dates the question is about, or that it asks for the newest."""
    said = f"(Asked on {spoken(as_of or date.today())}."
    if window is not None and window.is_span:
        said += f" It asks about reports published {window.describe()}."
    elif window is not None and window.recent:
        said += (
            " It asks for the newest reports: say the date of the one you answer from. When"
            " reports of different dates answer it differently, lead with the newest one's"
            " answer and its date, then say what the earlier one said, with its date."
        )
    return said + ")"
