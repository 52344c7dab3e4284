"""What the short answer shows beyond the name or number the reader chose, when its sentence
says it right after it: the unit the question counts in ("45 days", asked after how many
days), the other one of those asked for ("Kroger and Albertsons", asked which two
supermarkets), and a name's own marks: the quotes around a title ("“Law & Order”"), the
plus of "Apple TV+", the "i" of "iPhone". The reader's choice stays the same; only what is
shown grows, by what stands beside it in its own sentence, so the short answer is still a
quote of its passage."""

from __future__ import annotations

import re

from bot.answering.asked import AnswerKind, asked_description, asked_unit
from bot.answering.candidates import spans
from bot.answering.mentions import Mention
from index.text import STOPWORDS, stem

# What a "how many" question counts, in up to three words ("hot dogs", "felony counts").
_COUNTED = re.compile(r"\bhow (?:many|much)((?:\s+[\w-]+){1,3})", re.IGNORECASE)
_WORD = re.compile(r"\s+([\w-]+)")
# Words that describe what is counted without naming it: "500 new" is not a unit.
_MODIFIERS = frozenset("new more other additional total extra major big small large".split())  # noqa: SIM905
_AND_AFTER = re.compile(r"(?:,\s*|\s+)(?:and|&)\s+")
_CLOSING = {'"': '"', "“": "”", "‘": "’"}
# "Which two supermarkets", "which three countries", "which countries".
_COUNTS = frozenset("two three four both".split())  # noqa: SIM905
_PLURAL = re.compile(r"\w(?<![su])s$")
_SINGULAR_IN_S = frozenset("series species news means crisis analysis status campus gas".split())  # noqa: SIM905


def widened(mention: Mention, question: str, kind: AnswerKind) -> str:
    """The chosen mention's text, with what stands beside it in its sentence that belongs to
    the answer (see the module's docstring)."""
    sentence, start, end = mention.sentence, mention.span.start, mention.span.end
    if kind is AnswerKind.NUMBER:
        end = _with_unit(sentence, end, question)
    else:
        if asks_for_several(question):
            start, end = _with_the_other(sentence, start, end, kind)
        start, end = _with_marks(sentence, start, end)
    if (start, end) == (mention.span.start, mention.span.end):
        return mention.span.text
    return sentence[start:end]


def asks_for_several(question: str) -> bool:
    """Whether the question asks for more than one thing: "which two ...", "which states".
    (Only a one-word description is read as plural by its ending: in "which supermarket
    plans", the last word is the verb.)"""
    description = asked_description(question)
    if description is None:
        return False
    words = description.lower().split()
    if words[0] in _COUNTS:
        return True
    return (
        len(words) == 1 and words[0] not in _SINGULAR_IN_S and _PLURAL.search(words[0]) is not None
    )


def _with_unit(sentence: str, end: int, question: str) -> int:
    """The number and what the question counts, as far as the words after the number (right
    after it, or past one: "ten square kilometers") say it: "63 hot dogs", "10 seconds"."""
    counted = _counted(question)
    best = end
    for skip in (0, 1):
        at, matched, last = end, 0, ""
        for _ in range(skip):
            if (match := _WORD.match(sentence, at)) is None:
                break
            at = match.end()
        while matched < len(counted) and (match := _WORD.match(sentence, at)):
            if stem(match.group(1).lower()) != counted[matched]:
                break
            at, matched, last = match.end(), matched + 1, match.group(1).lower()
        # A part of what is counted is enough when the sentence's noun ends there: "10
        # seconds, the study said" asked how many seconds may predict ..., not "3.1 million
        # mobile" from "3.1 million mobile phones" asked how many mobile users.
        following = _WORD.match(sentence, at)
        ends = (
            matched == len(counted)
            or following is None
            or following.group(1).lower() in STOPWORDS
            or sentence[at : following.start(1)].strip() != ""
        )
        if matched and ends and last not in _MODIFIERS and best == end:
            best = at
    return best


def _counted(question: str) -> list[str]:
    if asked_unit(question) is None:
        return []
    match = _COUNTED.search(question)
    if match is None:
        return []
    words = []
    for word in match.group(1).split():
        if word.lower() in STOPWORDS:
            break
        words.append(stem(word.lower()))
    return words


def _with_the_other(sentence: str, start: int, end: int, kind: AnswerKind) -> tuple[int, int]:
    """ "Kroger and Albertsons", whichever of the two was chosen."""
    named = spans(sentence, kind)
    joined = _AND_AFTER.match(sentence, end)
    if joined is not None:
        second = next((s for s in named if s.start == joined.end()), None)
        if second is not None:
            return start, second.end
    for first in named:
        between = _AND_AFTER.fullmatch(sentence, first.end, start)
        if first.end <= start and between is not None:
            return first.start, end
    return start, end


def _with_marks(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The plus of "Apple TV+", the "i" of "iPhone" (a name is read from its first capital),
    and the quotes a title stands in."""
    if sentence[end : end + 1] == "+":
        end += 1
    glued = sentence[start - 2 : start - 1] if start > 1 else ""
    if start > 0 and sentence[start - 1] in "ie" and not glued.isalnum():
        start -= 1
    opening = sentence[start - 1 : start] if start > 0 else ""
    if opening in _CLOSING and sentence[end : end + 1] == _CLOSING[opening]:
        return start - 1, end + 1
    return start, end
