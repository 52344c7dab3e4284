"""What an answer is: text with [n] markers and the passages those markers cite."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.documents import Document

from index.chunking import sentence_spans

_WORD = re.compile(r"[\w’'-]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by can did do does for from had has have he her his how
    i in into is it its me my of on or our she so than that the their them then there these
    they this those to was we were what when where which who whom whose why will with would
    you your about after again also any many much more most not now only other over some such
    very just tell said says according""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Citation:
    """One cited passage; `quote` is always verbatim text of the chunk `chunk_id`."""

    n: int
    title: str
    source: str
    url: str
    published: str
    quote: str
    chunk_id: str
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    unsupported: bool = False  # an LLM answer left with no valid citation

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stem(word: str) -> str:
    """Just enough stemming that "controls" meets "control" and "killed" meets "kill"."""
    for suffix in ("'s", "’s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Lower-cased, lightly stemmed words that carry meaning (no stopwords or one-letter words)."""
    words = (word.strip("’'-").lower() for word in _WORD.findall(text))
    return {_stem(word) for word in words if len(word) > 1 and word not in STOPWORDS}


def word_overlap(question_words: set[str], text: str) -> float:
    """The share of the question's content words that occur in the text (0..1)."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(text)) / len(question_words)


def sentences_of(text: str) -> list[str]:
    return [text[span.start : span.end] for span in sentence_spans(text)]


def best_sentence(question: str, text: str) -> str:
    """The sentence of `text` sharing the most content words with the question (the first one
    on a tie), for quoting a passage an LLM cited."""
    wanted = content_words(question)
    sentences = sentences_of(text) or [text]
    return max(sentences, key=lambda sentence: len(wanted & content_words(sentence)))


def citation_for(document: Document, n: int, quote: str) -> Citation:
    meta = document.metadata
    return Citation(
        n=n,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        published=str(meta.get("published", "")),
        quote=quote,
        chunk_id=str(meta.get("id", "")),
        score=round(float(meta.get("similarity", 0.0)), 4),
    )
