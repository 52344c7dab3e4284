"""What kind of answer a question asks for, and whether a sentence holds one.

The extractive answerer's relevance rewards a sentence for repeating the question's words, and
the sentence that repeats them most is often not the one that answers: asked "Who leads the
Badr Organization?", the seed article's "Badr Organization has announced storming the front
defense line" repeats two of its three words and names no leader. A sentence that holds an
answer of the asked type (a name for who/which/where, a number for how many, a date for when)
that the question doesn't already contain is preferred. Plain patterns, no tagger: none ships
with its weights in a package here. See BENCHMARKS.md, "The sentence that answers".
"""

from __future__ import annotations

import functools
import re
from enum import Enum

from index.text import STOPWORDS, content_words, stem


class AnswerType(Enum):
    NAME = "name"  # a person, organisation, place or title: who, which, where, most others
    NUMBER = "number"  # how many, how much, what percentage
    DATE = "date"  # when, what year, which day


_NUMBER_QUESTION = re.compile(
    r"\bhow (many|much|old|long|far|high|big|large)\b|\bwhat (percentage|percent|number|share)\b",
    re.IGNORECASE,
)
_DATE_QUESTION = re.compile(
    r"\bwhen\b|\b(what|which) (year|date|day|month|time)\b|\bon what day\b", re.IGNORECASE
)
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_DAYS = "monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow"
_DATE_WORDS = frozenset((_MONTHS + " " + _DAYS).split())
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|"
    r"dozen|dozens)\b",
    re.IGNORECASE,
)
# A run of capitalised words, allowing inner particles ("Bed Bath & Beyond", "Hadi al-Amiri").
NAME_PATTERN = re.compile(
    r"(?:[A-Z][\w’'.-]*|[A-Z]{2,}|\bal-[A-Z][\w’'-]*)(?:\s+(?:(?:of|the|de|del|da|al|bin|van|von|&)\s+)?"
    r"(?:[A-Z][\w’'.-]*|al-[A-Z][\w’'-]*))*"
)
_WORD = re.compile(r"[\w’'-]+")
# An answer this many words from the nearest word of the question counts half as much as one
# beside it; one in a sentence without any of the question's words counts NO_ANCHOR.
PROXIMITY_WORDS = 4.0
NO_ANCHOR = 0.25


def answer_type(question: str) -> AnswerType:
    """The kind of answer `question` asks for: a number, a date, or (by default) a name."""
    if _NUMBER_QUESTION.search(question):
        return AnswerType.NUMBER
    if _DATE_QUESTION.search(question):
        return AnswerType.DATE
    return AnswerType.NAME


def holds_answer(sentence: str, question: str, wanted: AnswerType) -> bool:
    """Whether `sentence` holds something of the `wanted` type that `question` doesn't."""
    return answer_strength(sentence, question, wanted) > 0


def answer_strength(sentence: str, question: str, wanted: AnswerType) -> float:
    """How strongly `sentence` looks like it answers: 0 when it holds nothing of the `wanted`
    type that `question` doesn't; else up to 1, the closer the nearest such thing stands to
    a word of the question ("Hadi al-Amiri, the leader of the organization" rather than "Badr
    Organization has announced storming the front defense line of Islamic State")."""
    spans = _candidates(sentence, question, wanted)
    if not spans:
        return 0.0
    asked = _question_terms(question)
    words = [(m.start(), m.end()) for m in _WORD.finditer(sentence)]
    anchors = [
        i for i, (start, end) in enumerate(words) if stem(sentence[start:end].lower()) in asked
    ]
    best = NO_ANCHOR
    for span_start, span_end in spans:
        inside = [i for i, (a, b) in enumerate(words) if a < span_end and b > span_start]
        if not inside:
            continue
        gaps = [
            min(abs(anchor - inside[0]), abs(anchor - inside[-1]))
            for anchor in anchors
            if anchor not in inside
        ]
        if gaps:
            best = max(best, 1 / (1 + min(gaps) / PROXIMITY_WORDS))
    return best


# The same question is held against every sentence of its passages.
@functools.lru_cache(maxsize=256)
def _question_terms(question: str) -> frozenset[str]:
    return frozenset(content_words(question))


@functools.lru_cache(maxsize=256)
def _question_words(question: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(question))


def _candidates(sentence: str, question: str, wanted: AnswerType) -> list[tuple[int, int]]:
    """Where `sentence` holds things of the `wanted` type that `question` doesn't."""
    asked = _question_words(question)
    if wanted is AnswerType.NUMBER:
        return [m.span() for m in _NUMBER.finditer(sentence) if m.group(0).lower() not in asked]
    if wanted is AnswerType.DATE:
        dates = [m for m in _WORD.finditer(sentence) if m.group(0).lower() in _DATE_WORDS]
        dates += list(_YEAR.finditer(sentence))
        return [m.span() for m in dates if m.group(0).lower() not in asked]
    opening = len(sentence) - len(sentence.lstrip(" \"“‘'([-–—"))
    return [
        m.span()
        for m in NAME_PATTERN.finditer(sentence)
        if _is_new_name(m.group(0), asked, opens=m.start() <= opening)
    ]


def _is_new_name(name: str, asked: frozenset[str], *, opens: bool) -> bool:
    """A name with a word the question doesn't have. A single capitalised word opening the
    sentence ("Several", "Researchers") is only capitalised because it opens it."""
    words = [word.lower().strip("’'.-") for word in _WORD.findall(name)]
    if opens and len(words) == 1:
        return False
    meaningful = [word for word in words if word and word not in STOPWORDS and len(word) > 1]
    return bool(meaningful) and any(word not in asked for word in meaningful)
