"""A mention: one thing of the asked kind in a sentence of the passages, with the features the
reader scores it on. Found by the reader (reader.py), weighed by what it prefers among names
(names.py), dated by the extractive answerer; kept here so that each of them can name it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.candidates import Span


@dataclass(frozen=True)
class Mention:
    """One thing of the asked kind, in the sentence at `position` of the pool."""

    position: int
    document: int
    span: Span
    sentence: str
    features: tuple[float, ...]
