"""What the reader prefers among the names it found (reader.py): the one nearest to what the
question calls the answer ("team" in "which team"), a number of the counted thing ("90
seconds" asked how many seconds), and each name in its fullest form ("Buffalo Bills" for
"Bills"). The figures behind each choice are in BENCHMARKS.md, "What the question calls the
answer"."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.answering.asked import asked_description, asked_unit
from bot.answering.mentions import Mention
from bot.answering.relevance import cosine
from index.text import stem

# Asked "which team", the names the reader likes best are held against the word "team" in the
# embedding model's space ("Buffalo Bills" is nearer to it than "University of Cincinnati
# Medical Center"): the best DESCRIBED names are re-ordered by their odds times
# e^(DESCRIPTION_WEIGHT x cosine). Both chosen on the train weeks and dev (BENCHMARKS.md, "What
# the question calls the answer").
DESCRIPTION_WEIGHT = 8.0
DESCRIBED = 8
DESCRIBED_GAP = 0.4
# A name this far from what the question calls the answer (a cosine below it) is no answer
# ("Matthew Perry" asked which Hindu festival): on the train weeks and dev, 1 of the 59 short
# answers below it was right (BENCHMARKS.md, "What does not fit what was asked").
MIN_DESCRIPTION_FIT = 0.15
# Asked "how many seconds", a number followed by "seconds" gets its odds times e^UNIT_WEIGHT.
UNIT_WEIGHT = 3.0
# Texts to vectors (normalized), the answerer's sentence model.
Describe = Callable[[list[str]], list[list[float]]]


_WORD = re.compile(r"[\w’'-]+")
_stem = functools.lru_cache(maxsize=1 << 16)(stem)


def key_of(text: str) -> str:
    """A name as the reader counts it: lowercase, its spaces collapsed."""
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class Described:
    """What the question calls its answer, and the cosine of each name held against it."""

    description: str
    fits: dict[str, float]
    chosen: str | None = None  # the name that fits best for its odds; None if none was weighed


def fitting_description(
    question: str,
    scored: Sequence[tuple[float, Mention]],
    mass: Mapping[str, float],
    describe: Describe,
    weight: float,
    described: int,
    gap: float = 0.0,
) -> Described | None:
    """What the question calls the answer, each of the `described` names with the most mass
    held against it, and `chosen`, the one whose odds times e^(weight x that cosine) is
    highest (None with fewer than two names); None when the question calls it nothing ("Who
    won ...?")."""
    description = asked_description(question)
    if description is None:
        return None
    # A name whose odds are below the best's by more than e^(weight x DESCRIBED_GAP) would
    # need to be that much nearer to the description to win: not embedded.
    floor = math.log(mass[key_of(scored[0][1].span.text)] + 1e-12) - weight * gap
    shown: dict[str, str] = {}
    for _, mention in scored:
        key = key_of(mention.span.text)
        if math.log(mass[key] + 1e-12) < floor:
            break
        shown.setdefault(key, mention.span.text)
        if len(shown) == described:
            break
    if len(shown) < 2:
        return Described(description, {})
    vectors = describe([description, *shown.values()])
    fit = {key: cosine(vectors[0], vector) for key, vector in zip(shown, vectors[1:], strict=True)}
    chosen = max(shown, key=lambda key: math.log(mass[key] + 1e-12) + weight * fit[key])
    return Described(description, fit, chosen)


def fits_description(name: str, described: Described, describe: Describe | None) -> bool:
    """Whether the name is near enough to what the question calls the answer
    (MIN_DESCRIPTION_FIT); embedded now unless it was held against it already (with no
    model to embed it, it fits)."""
    fit = described.fits.get(key_of(name))
    if fit is None:
        if describe is None:
            return True
        vectors = describe([described.description, name])
        fit = cosine(vectors[0], vectors[1])
    return fit >= MIN_DESCRIPTION_FIT


def counted(question: str, mentions: Sequence[Mention]) -> set[str]:
    """The numbers followed, within two words, by what the question counts ("90 seconds",
    asked how many seconds)."""
    unit = asked_unit(question)
    if unit is None:
        return set()
    wanted = _stem(unit)
    found = set()
    for mention in mentions:
        after = _WORD.findall(mention.sentence[mention.span.end :])[:2]
        if mention.span.numeric and any(_stem(word.lower()) == wanted for word in after):
            found.add(key_of(mention.span.text))
    return found


def full_names(keys: set[str]) -> dict[str, str]:
    """Each name that ends another, longer one, to the longest such ("bills" and "the bills" to
    "buffalo bills", "biden" to "president joe biden"): one thing named in full and in short."""
    by_words = sorted((key.split() for key in keys), key=lambda words: (-len(words), words))
    group = {}
    for words in by_words:
        core = words[1:] if words[0] == "the" and len(words) > 1 else words
        longer = next(
            (
                other
                for other in by_words
                if len(other) > len(core) and other[-len(core) :] == core and other != words
            ),
            None,
        )
        if longer is not None:
            group[" ".join(words)] = " ".join(longer)
    return group
