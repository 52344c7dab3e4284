"""What an answer is: text with [n] markers and the passages those markers cite."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.documents import Document

from index.chunking import sentence_spans
from index.text import content_words


@dataclass(frozen=True)
class Citation:
    """One cited passage: the chunks `passage_ids` (found by `chunk_id`, one of them), of which
    `quote` is always verbatim text (sentences of it, " … " between two cited apart)."""

    n: int
    title: str
    source: str
    url: str
    published: str
    quote: str
    chunk_id: str
    score: float
    passage_ids: list[str] = field(default_factory=list)
    # Other outlets that carried the same story (wire copies), by source or title.
    also: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an LLM answer, whether its claims were found in the passages it cites,
    and why not (`bot/answering/claims.py`)."""

    sentence: str
    supported: bool
    reason: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    # An LLM answer with a sentence that failed its check (dropped from `answer`), or left
    # with no valid citation; `checks` says which sentence and why.
    unsupported: bool = False
    # How the question was understood: rewritten to stand on its own (a follow-up, and later
    # a corrected spelling); empty when it was taken as asked.
    understood_as: str = ""
    checks: list[SentenceCheck] = field(default_factory=list)
    # What answers the question in a few words (a name, a number, a date), shown first; empty
    # for a refusal, and when no such thing was found.
    short_answer: str = ""
    # The question's language (ISO 639-1, bot/answering/language.py), and a line to tell the
    # reader before the answer (e.g. that an offline answer was found through names alone).
    language: str = "en"
    note: str = ""

    @property
    def as_shown(self) -> str:
        """The answer as the reader sees it: the short answer on a line of its own, first."""
        return f"{self.short_answer}\n{self.answer}" if self.short_answer else self.answer

    @property
    def standalone(self) -> str:
        """The question as it was retrieved for."""
        return self.understood_as or self.question

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        """The answer `to_json` gave (older records may lack the later fields)."""
        values = dict(data)
        values["citations"] = [Citation(**c) for c in values.get("citations", [])]
        values["checks"] = [SentenceCheck(**c) for c in values.get("checks", [])]
        return cls(**values)


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
        passage_ids=[str(i) for i in meta.get("passage_ids", [])],
        also=[str(outlet) for outlet in meta.get("also", [])],
    )
