"""Words: the tokenizer shared by the keyword index, relevance and sentence scoring."""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w’'-]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by can did do does for from had has have he her his how
    i in into is it its me my of on or our she so than that the their them then there these
    they this those to was we were what when where which who whom whose why will with would
    you your about after again also any many much more most not now only other over some such
    very just tell said says according""".split()  # noqa: SIM905
)


def stem(word: str) -> str:
    """Just enough stemming that "controls" meets "control" and "killed" meets "kill"."""
    for suffix in ("'s", "’s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words that carry meaning, in order, repeats kept."""
    words = (word.strip("’'-").lower() for word in _WORD.findall(text))
    return [stem(word) for word in words if len(word) > 1 and word not in STOPWORDS]


def content_words(text: str) -> set[str]:
    """The distinct terms of a text."""
    return set(terms(text))


def word_overlap(question_words: set[str], text: str) -> float:
    """The share of the question's content words that occur in the text (0..1)."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(text)) / len(question_words)
