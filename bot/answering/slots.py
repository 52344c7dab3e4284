"""Where the question puts its answer: the words either side of what it asks ("raised by how
much?", "Which team won?"), and whether a sentence has the same words beside a candidate ("by
$500", "the Bills won"). A reader feature (reader.py): a name standing where the question's
answer stands is more likely the answer than one merely near the question's words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.answering.candidates import Span
from index.text import stem

# The phrase that asks ("which team", "how many", "who"): the last one in the question asks.
_ASKING_PHRASE = re.compile(
    r"\b(how (?:many|much|old|long|far)|which|what|whose|whom|who|where|when)\b", re.IGNORECASE
)
_SLOT_WORD = re.compile(r"[\w’'$%.,-]+")
# Asked who, where or when, the next word is the question's verb; asked which or what, the
# next one is the noun named ("which team won": "won" after "team").
_NO_NOUN = frozenset(("who", "whom", "where", "when"))
_ARTICLES = frozenset(("the", "a", "an"))
# Enough of a sentence either side of a span to hold the word beside it.
_SLOT_REACH = 60
_stem = functools.lru_cache(maxsize=1 << 14)(stem)


@dataclass(frozen=True)
class Slot:
    """The question's words either side of what it asks: "by" in "raised by how much" and
    "won" in "Which team won ...?". A sentence with the same word beside a candidate ("by
    $500", "the Bills won") puts the candidate where the question puts its answer."""

    before: str | None
    after: str | None


def asked_slot(question: str) -> Slot:
    """The word right before the asking phrase and the word right after it (asked which or
    what, after the noun it names), lowercased; None where there is none, or where it is an
    article (or "and", before)."""
    found = list(_ASKING_PHRASE.finditer(question))
    if not found:
        return Slot(None, None)
    asking = found[-1]
    before = _slot_words(question[: asking.start()])
    after = _slot_words(question[asking.end() :])
    skip = 0 if asking.group(1).lower() in _NO_NOUN else 1
    word_before = before[-1] if before and before[-1] not in _ARTICLES | {"and"} else None
    word_after = after[skip] if len(after) > skip else None
    if word_after in _ARTICLES:
        word_after = None
    return Slot(word_before or None, word_after or None)


def slot_fit(sentence: str, span: Span, slot: Slot) -> tuple[float, float]:
    """(1 or 0, 1 or 0): the word right before the span (past an article) is the slot's word
    before, and the word right after it is, stemmed, the slot's word after."""
    left = _slot_words(sentence[max(0, span.start - _SLOT_REACH) : span.start])
    if left and left[-1] in _ARTICLES:
        left.pop()
    right = _slot_words(sentence[span.end : span.end + _SLOT_REACH])
    before = slot.before is not None and bool(left) and left[-1] == slot.before
    after = slot.after is not None and bool(right) and _stem(right[0]) == _stem(slot.after)
    return float(before), float(after)


def _slot_words(text: str) -> list[str]:
    return [w.strip(".,?").lower() for w in _SLOT_WORD.findall(text) if w.strip(".,?")]
