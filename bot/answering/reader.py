"""The reader: the short answer in the passages, for the extractive answerer.

The things of the asked kind (candidates.py) are found in every sentence of the passages the
answer is built from, and each mention is scored on what a reader goes by: the passage's rank,
how near the mention stands to the question's words in its sentence, whether it stands where
the question puts its answer ("by $500", asked "raised by how much?": slots.py), how well its
sentence matches the question (the answerer's own sentence score, when the sentence was
scored), that it does not repeat the question, how many passages name it too, and how fresh
its passage is. The weights are a logistic regression fitted on RealTime QA's train weeks by
bench/fit_reader.py; only these numbers are kept (BENCHMARKS.md, "Answer first: the reader",
which also says why their passages were found by bench/proxy_passages.py).
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_core.documents import Document

from bot.answering.asked import AnswerKind, asks_true_or_false, expected_kind
from bot.answering.candidates import Span, kind_fit, repeated_share, spans, too_wide
from bot.answering.mentions import Mention
from bot.answering.names import (
    DESCRIBED,
    DESCRIBED_GAP,
    DESCRIPTION_WEIGHT,
    UNIT_WEIGHT,
    Describe,
    counted,
    fits_description,
    fitting_description,
    full_names,
    key_of,
)
from bot.answering.slots import asked_slot, slot_fit
from bot.answering.widening import widened
from index.text import content_words, stem

_WORD = re.compile(r"[\w’'-]+")
# The same words recur in every question's passages.
_stem = functools.lru_cache(maxsize=1 << 16)(stem)
# A mention this many words from the nearest word of the question counts half as much as one
# beside it.
PROXIMITY_WORDS = 4.0
# Passages older than the freshest one given, in days, at which freshness counts half.
FRESH_DAYS = 30.0

FEATURES = (
    "bias",
    "passage_rank",  # 0 for the first passage, 1 for the second, ...
    "nearness",  # 1 beside a word of the question, 0.5 PROXIMITY_WORDS away, 0 with none
    "sentence_overlap",  # share of the question's words the sentence holds
    "sentence_score",  # the answerer's score of the sentence, 0 when it was not scored
    "scored",  # 1 when the sentence was among those the answerer scored
    "repeated",  # share of the mention's words that the question already has
    "passages",  # log(1 + passages naming it), beyond its own
    "mentions",  # log(1 + mentions), beyond this one
    "freshness",  # 1 for the freshest passage, less the older its passage is
    "in_title",  # a title of the passages names it
    "words",  # its length in words
    "first_sentence",  # its sentence opens its passage
    "sentence_rank",  # 1 / (1 + its sentence's place in the answerer's order), 0 if unscored
    "beside",  # a word of the question stands right next to it ("63 hot dogs")
    "fits",  # looks like the asked kind (candidates.kind_fit)
    "misfits",  # looks like another kind
    "subject",  # asked who or which organisation, it stands before every word of the
    # question in its sentence: the doer ("al-Hashd al-Shaabi troops ... liberation of Qairawan")
    "slot_before",  # the question's word before what it asks stands right before it: "raised
    # by how much?" and "by $500" (slots.asked_slot)
    "slot_after",  # the question's word after what it asks follows it: "Which team won?" and
    # "the Bills won"
)
# Fitted by bench/fit_reader.py on rtqa-train-2022 and rtqa-train-2023 (proxy passages, see
# BENCHMARKS.md), but for the two slot weights: chosen on train and dev with the others kept,
# in the middle of the range that wins on all three (BENCHMARKS.md, "Where the question puts
# its answer").
WEIGHTS: dict[str, float] = {
    "bias": -1.299,
    "passage_rank": -0.497,
    "nearness": 1.355,
    "sentence_overlap": 2.344,
    "sentence_score": 2.143,
    "scored": -1.639,
    "repeated": -0.453,
    "passages": 0.689,
    "mentions": -0.171,
    "freshness": -0.026,
    "in_title": 1.452,
    "words": 0.508,
    "first_sentence": -0.013,
    "sentence_rank": 0.024,
    "beside": -0.006,
    "fits": 1.59,
    "misfits": -0.658,
    "subject": 0.867,
    "slot_before": 1.0,
    "slot_after": 0.5,
}
# Another thing of the asked kind, in a passage of another date, scoring at least this share of
# the chosen mention's probability, is a report that differs: the answer says both, newest
# first ("The Red Front" in March, "the Blue Brigade" in January, asked who controls Varnak).
DIFFERING_SHARE = 0.9
# ... and only when both sentences hold at least this share of the question's words: two
# reports of the same thing ("X controls Varnak", "Y controls Varnak"), not any two names of
# the kind (scored on saturated probabilities, a looser rule said "reports differ" under 110
# of rtqa-dev's 240 answers: BENCHMARKS.md, "Time in questions").
DIFFERING_OVERLAP = 0.75
_OVERLAP = FEATURES.index("sentence_overlap")
# A mention scoring below this (a probability) is no answer: the best sentence is given alone.
MIN_SCORE = 0.0
# The sentence that best matches the question follows the answer's, when it is another one
# and the two stay within this many words, the short answer's counted: the reader's choice is
# right less often than the sentence it stands in holds the answer (BENCHMARKS.md).
MAX_WORDS = 60


@dataclass(frozen=True)
class Reading:
    """The reader's answer: the mention it chose, and how sure it is (0..1)."""

    mention: Mention
    score: float
    # The best mention of another thing from a passage of another date, scoring close enough
    # (DIFFERING_SHARE) to be a report that differs; None when the reports agree.
    differing: Mention | None = None
    # How far the best-weighed thing stands ahead of the next: 1 - the runner-up's weight / the
    # best's (each the sum of its mentions' odds), 1 when the passages name only one.
    margin: float = 1.0
    # What is shown: the mention's text and what stands beside it in its sentence that
    # belongs to the answer ("45 days", "Kroger and Albertsons": widening.py); the mention's
    # text when empty.
    shown: str = ""

    @property
    def short_answer(self) -> str:
        # An amount is read with its digit groups ("1,200"), so one ending a clause keeps the
        # clause's comma ("45,"): shown without it.
        return (self.shown or self.mention.span.text).rstrip(",")


def read(
    question: str,
    documents: Sequence[Document],
    pool: Sequence[tuple[int, str]],
    sentence_scores: Mapping[int, float],
    weights: Mapping[str, float] = WEIGHTS,
    describe: Describe | None = None,
    description_weight: float = DESCRIPTION_WEIGHT,
    described: int = DESCRIBED,
    described_gap: float = DESCRIBED_GAP,
    fullest: bool = True,
    unit_weight: float = UNIT_WEIGHT,
    widen: bool = True,
) -> Reading | None:
    """The best-scoring mention of the asked kind in `pool` (each passage's sentences, as
    (passage index, sentence)), or None when there is none. `sentence_scores`: the answerer's
    scores of the sentences it scored, by their place in the pool. `describe`: the sentence
    model, to hold the best names against what the question calls the answer."""
    # Asked true or false, no name is the answer, and the reader can't judge: the sentences
    # alone, for the reader to judge.
    if asks_true_or_false(question):
        return None
    mentions = find_mentions(question, documents, pool, sentence_scores)
    if not mentions:
        return None
    # A thing named in several places gathers the weight of each mention (as odds), so that
    # passages agreeing count; it is shown by its best mention, of its fullest name: "Buffalo
    # Bills" when "Bills" is chosen and the passages name both. (Counting "Bills" with
    # "Buffalo Bills" chose worse on train-2023: BENCHMARKS.md, "What the question calls the
    # answer".)
    scored = [(probability(m.features, weights), m) for m in mentions]
    mass: dict[str, float] = defaultdict(float)
    for score, m in scored:
        mass[key_of(m.span.text)] += score / (1 - score + 1e-9)
    for key in counted(question, mentions) if unit_weight else ():
        mass[key] *= math.exp(unit_weight)
    scored.sort(key=lambda pair: (-mass[key_of(pair[1].span.text)], -pair[0], pair[1].position))
    fitting = None
    if describe is not None and description_weight:
        fitting = fitting_description(
            question, scored, mass, describe, description_weight, described, described_gap
        )
        if fitting is not None and fitting.chosen is not None:
            scored.sort(key=lambda pair: key_of(pair[1].span.text) != fitting.chosen)
    if fullest:
        fuller = full_names({key_of(m.span.text) for m in mentions}).get(
            key_of(scored[0][1].span.text)
        )
        if fuller is not None:
            scored.sort(key=lambda pair: key_of(pair[1].span.text) != fuller)
    best_score, best = scored[0]
    weights_of_things = sorted(mass.values(), reverse=True)
    margin = (
        1 - weights_of_things[1] / weights_of_things[0]
        if len(weights_of_things) > 1 and weights_of_things[0] > 0
        else 1.0
    )
    # Asked which festival, a name far from "festival" is a guess: no short answer, the best
    # sentences alone (the answer does not say what the passages don't).
    if fitting is not None and not fits_description(best.span.text, fitting, describe):
        return None
    differing = _differing(best, best_score, scored, documents)
    shown = widened(best, question, expected_kind(question)) if widen else ""
    return Reading(best, best_score, differing, max(0.0, margin), shown)


def _differing(
    best: Mention,
    best_score: float,
    scored: Sequence[tuple[float, Mention]],
    documents: Sequence[Document],
) -> Mention | None:
    """The first mention of another thing (not one holding the other's name), from a dated
    passage of another date than the best's, scoring at least DIFFERING_SHARE of its score."""
    best_key, best_day = key_of(best.span.text), published_day(documents[best.document])
    if best_day is None or best.features[_OVERLAP] < DIFFERING_OVERLAP:
        return None
    for score, mention in scored:
        key = key_of(mention.span.text)
        if best_key in key or key in best_key or score < DIFFERING_SHARE * best_score:
            continue
        if mention.features[_OVERLAP] < DIFFERING_OVERLAP:
            continue
        day = published_day(documents[mention.document])
        if day is not None and day != best_day:
            return mention
    return None


def published_day(document: Document) -> int | None:
    return _day(str(document.metadata.get("published", "")))


def shape(
    reading: Reading | None,
    ranked: Sequence[int],
    pool: Sequence[tuple[int, str]],
    min_score: float = MIN_SCORE,
    max_words: int = MAX_WORDS,
) -> tuple[str, list[int]]:
    """The short answer and the places in the pool of the sentences that support it: the
    reading's, then the best of the `ranked` sentences (the one that best matches the
    question) when it is another and the answer stays within `max_words`. With no reading,
    or too unsure a one (below `min_score`), no short answer and the best ranked sentence."""
    if reading is None or reading.score < min_score:
        return "", list(ranked[:1])
    first = reading.mention.position
    positions = [first]
    if ranked and ranked[0] != first:
        length = len(reading.short_answer.split()) + len(pool[first][1].split())
        if length + len(pool[ranked[0]][1].split()) <= max_words:
            positions.append(ranked[0])
    return reading.short_answer, positions


def probability(features: Sequence[float], weights: Mapping[str, float]) -> float:
    z = sum(weights[name] * value for name, value in zip(FEATURES, features, strict=True))
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def find_mentions(
    question: str,
    documents: Sequence[Document],
    pool: Sequence[tuple[int, str]],
    sentence_scores: Mapping[int, float],
) -> list[Mention]:
    """Every mention of the asked kind that doesn't merely repeat the question, with its
    features (FEATURES, in order)."""
    kind = expected_kind(question)
    slot = asked_slot(question)
    # "Organisation" asked meets "organization" written.
    asked = frozenset(content_words(question.replace("isation", "ization")))
    titles = " ".join(str(d.metadata.get("title", "")) for d in documents).lower()
    freshness = _freshness(documents)
    raw: list[tuple[int, int, Span, str]] = []
    firsts: set[int] = set()
    for position, (document, sentence) in enumerate(pool):
        if position == 0 or pool[position - 1][0] != document:
            firsts.add(position)
        found = spans(sentence, kind)
        repeats = [repeated_share(span.text, question) >= 1.0 for span in found]
        for i, span in enumerate(found):
            if repeats[i] or _alias_of_repeat(sentence, found, repeats, i):
                continue
            if too_wide(span.text, question):
                continue
            raw.append((position, document, span, sentence))
    ranked = sorted(sentence_scores, key=lambda p: -sentence_scores[p])
    order = {p: i for i, p in enumerate(ranked)}
    by_text: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for _, document, span, _ in raw:
        key = key_of(span.text)
        by_text[key].add(document)
        counts[key] += 1
    mentions = []
    # Each sentence's words, and which of them the question has, are read once.
    read_sentences: dict[int, tuple[list[tuple[int, int]], list[int], float]] = {}
    for position, document, span, sentence in raw:
        if position not in read_sentences:
            words = [(m.start(), m.end()) for m in _WORD.finditer(sentence)]
            stems = [_stem(sentence[a:b].strip("’'-").lower()) for a, b in words]
            anchors = [i for i, term in enumerate(stems) if term in asked]
            overlap = len(asked & set(stems)) / len(asked) if asked else 0.0
            read_sentences[position] = (words, anchors, overlap)
        words, anchors, overlap = read_sentences[position]
        key = key_of(span.text)
        nearness = _nearness(words, anchors, span)
        subject = 1.0 if anchors and span.end <= words[anchors[0]][0] else 0.0
        features = (
            1.0,
            float(document),
            nearness,
            overlap,
            sentence_scores.get(position, 0.0),
            1.0 if position in sentence_scores else 0.0,
            repeated_share(span.text, question),
            math.log1p(len(by_text[key]) - 1),
            math.log1p(counts[key] - 1),
            freshness[document],
            1.0 if key in titles else 0.0,
            float(len(span.text.split())),
            1.0 if position in firsts else 0.0,
            1 / (1 + order[position]) if position in order else 0.0,
            1.0 if nearness >= 1 / (1 + 1 / PROXIMITY_WORDS) else 0.0,
            *kind_fit(span.text, kind),
            subject if kind in (AnswerKind.PERSON, AnswerKind.ORGANISATION) else 0.0,
            *slot_fit(sentence, span, slot),
        )
        mentions.append(Mention(position, document, span, sentence, features))
    return mentions


def _alias_of_repeat(sentence: str, found: list[Span], repeats: list[bool], i: int) -> bool:
    """The span is another name, in brackets, of one the question already holds, or holds
    such a name in brackets: "al-Hashd al-Shaabi (Popular Mobilization Units)" asked who leads
    al-Hashd al-Shaabi names the subject twice, not the answer."""
    before = i > 0 and repeats[i - 1] and sentence[found[i - 1].end : found[i].start].strip() == "("
    after = (
        i + 1 < len(found)
        and repeats[i + 1]
        and sentence[found[i].end : found[i + 1].start].strip() == "("
    )
    return before or after


def _nearness(words: list[tuple[int, int]], anchors: list[int], span: Span) -> float:
    """1 / (1 + words between the span and the nearest word of the question / PROXIMITY_WORDS),
    0 when the sentence has none of the question's words (`anchors`, by their place among the
    sentence's `words`) outside the span."""
    inside = [i for i, (a, b) in enumerate(words) if a < span.end and b > span.start]
    if not inside:
        return 0.0
    gaps = [min(abs(i - inside[0]), abs(i - inside[-1])) for i in anchors if i not in inside]
    return 1 / (1 + min(gaps) / PROXIMITY_WORDS) if gaps else 0.0


def _freshness(documents: Sequence[Document]) -> list[float]:
    """Per passage: 1 for the freshest, halving every FRESH_DAYS older; 1 when undated."""
    days = [_day(str(d.metadata.get("published", ""))) for d in documents]
    known = [d for d in days if d is not None]
    newest = max(known) if known else 0
    return [1.0 if d is None else 0.5 ** ((newest - d) / FRESH_DAYS) for d in days]


def _day(published: str) -> int | None:
    from datetime import date

    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


__all__ = ["AnswerKind", "Reading", "expected_kind", "find_mentions", "read"]
