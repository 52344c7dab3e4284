"""How well a text matches a question: one formula, used by retrieval (for the refusal floor)
and by the extractive answerer (to choose sentences).

relevance = cosine similarity + LEXICAL_WEIGHT × (share of the question's words in the text).
The embedding alone blurs names: against the seed article "population of Baghdad" scores
higher (via "al-Baghdadi") than "who controls Qairawan", which names a place the article
reports on; counting the question's words matched exactly puts that right. The weight and the
floor were calibrated by bench/calibrate_floor.py: see BENCHMARKS.md, "Refusal floor".
"""

from __future__ import annotations

from collections.abc import Sequence

from index.text import word_overlap

LEXICAL_WEIGHT = 0.5


def cosine(query: Sequence[float], vector: Sequence[float]) -> float:
    """The dot product of two normalized vectors: their cosine similarity."""
    return sum(q * v for q, v in zip(query, vector, strict=True))


def combined(similarity: float, overlap: float) -> float:
    """Relevance from a cosine similarity and a word overlap (0..1)."""
    return similarity + LEXICAL_WEIGHT * overlap


def relevance(similarity: float, question_words: set[str], text: str) -> float:
    """Relevance of `text`, whose cosine to the question is `similarity`, to a question with
    the content words `question_words`."""
    return combined(similarity, word_overlap(question_words, text))
