"""The default answerer: no LLM, the answer is made only of sentences from the passages: the
short answer the reader finds in them (reader.py) first, then the best few sentences, the one
the short answer stands in among them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from langchain_core.documents import Document

from bot.answering.answer_types import answer_strength, answer_type, holds_answer
from bot.answering.answers import Answer, Citation, citation_for, sentences_of
from bot.answering.mentions import Mention
from bot.answering.reader import Reading, published_day, read, shape
from bot.answering.relevance import cosine
from bot.answering.time_window import spoken
from index.embeddings import SentenceTransformerEmbeddings
from index.text import content_words, word_overlap

MAX_SENTENCES = 3
MAX_ANSWER_CHARS = 700
# Between two cited sentences of one passage in its quote (what stood between them is left out).
QUOTE_GAP = " … "
# The line leading an answer from reports that differ by date, newest first ("as of" the
# report's date: the report doesn't say since when). bot/telegram/answer_words.py says it
# again in the reader's language.
DIFFERING = (
    "{newest}, as of {newest_day} [{newest_n}]; before that, {older} ({older_day}) [{older_n}]."
)
# A sentence joins the answer only if it scores close to the best one. 0.85 before sentences
# were split at line breaks; 0.8 gives answers of the same median length (BENCHMARKS.md).
KEEP_RATIO = 0.8
# Embedding every sentence of every passage is most of a question's latency on a CPU, so only
# the sentences sharing the most words with the question are embedded and scored (see
# BENCHMARKS.md, "Retrieval and answer quality", for what this costs in answer accuracy).
SHORTLIST = 8
SCORING_BATCH = 4
# What a sentence holding an answer of the asked type (answer_types.py) gains over one that
# doesn't; the shortlist counts it too, so such a sentence is scored at all.
TYPE_BONUS = 0.3
SHORTLIST_TYPE_WEIGHT = 0.0
# A sentence that asks a question ("What is the State of the Union address?") never answers one.
QUESTION_PENALTY = 1.0
# Words shared with the question count less in choosing a sentence than in judging a
# passage's relevance (relevance.LEXICAL_WEIGHT): the sentence that repeats the question most
# is often not the one that answers it.
ANSWER_LEXICAL_WEIGHT = 0.3
# What a sentence loses for each place its passage stands below the first in the retriever's
# order, which weighs freshness and both lists' agreement that the sentence's own score can't
# see: between two sentences that score alike, the one from the better passage answers. Chosen
# on rtqa-dev, confirmed on rtqa-val (BENCHMARKS.md, "The sentence that answers").
PASSAGE_RANK_PENALTY = 0.03
# A reading this far ahead of the next thing named (Reading.margin) is answered with its own
# sentence (and at most one more, ANSWER_WORDS); a less sure one keeps the best sentences
# under it, which hold the answer more often than the reader's choice does. Chosen on the
# train weeks for answers of at most 40 words at the median (BENCHMARKS.md, "As long as it
# needs to be").
ALONE_MARGIN = 0.3
# A sure reading's sentence is followed by the next of the best sentences when the whole
# answer, short answer included, stays within this many words (the budget, not a
# tuned figure): that sentence holds the answer for some of the questions the reader gets
# wrong, at no cost past the length (BENCHMARKS.md, "A second sentence within 40 words").
ANSWER_WORDS = 40


@dataclass(frozen=True)
class _Candidate:
    document: int
    sentence: str
    score: float
    answers: bool = False  # holds an answer of the asked type
    position: int = 0  # in the pool, which keeps each passage's sentences in order


class ExtractiveAnswerer:
    """Scores every sentence of the retrieved passages against the question and answers with
    the best few, each followed by the [n] of the passage it was taken from."""

    def __init__(
        self,
        embeddings: SentenceTransformerEmbeddings,
        shortlist: int | None = SHORTLIST,
        type_bonus: float = TYPE_BONUS,
        shortlist_type_weight: float = SHORTLIST_TYPE_WEIGHT,
        split_lines: bool = True,
        follow_on: bool = True,
        question_penalty: float = QUESTION_PENALTY,
        lexical_weight: float = ANSWER_LEXICAL_WEIGHT,
        keep_ratio: float = KEEP_RATIO,
        passage_rank_penalty: float = PASSAGE_RANK_PENALTY,
        reader: bool = True,
        alone_margin: float = ALONE_MARGIN,
        answer_words: int = ANSWER_WORDS,
    ) -> None:
        self.embeddings = embeddings
        self.shortlist = shortlist
        self.type_bonus = type_bonus
        self.shortlist_type_weight = shortlist_type_weight
        self.split_lines = split_lines
        self.follow_on = follow_on
        self.question_penalty = question_penalty
        self.lexical_weight = lexical_weight
        self.keep_ratio = keep_ratio
        self.passage_rank_penalty = passage_rank_penalty
        # The short answer first, found by the reader (reader.py), above the best sentences;
        # False: the best few sentences alone, as before the reader.
        self.reader = reader
        self.alone_margin = alone_margin
        self.answer_words = answer_words

    def __call__(self, question: str, documents: list[Document]) -> Answer:
        pool = self._pool(documents)
        candidates = self._rank(question, pool)
        chosen = [
            (c.document, c.sentence) for c in self._best_sentences(candidates, pool, question)
        ]
        if not self.reader:
            return answer_from(question, documents, chosen)
        scores = {candidate.position: candidate.score for candidate in candidates}
        reading = read(question, documents, pool, scores, describe=self._describe)
        short, positions = shape(reading, [c.position for c in candidates], pool)
        # The sentence the short answer stands in comes right after it: the first of the best
        # that holds it, else the reader's own. When the reader is sure, with the next of the
        # best only within ANSWER_WORDS; else on top of the best sentences, never in place of
        # them: every shorter answer tried for all questions lost whole-answer accuracy on
        # train, dev and val (BENCHMARKS.md, "Answer first: the reader").
        if short and reading is not None:
            holding = [pair for pair in chosen if short.lower() in pair[1].lower()]
            support = holding[0] if holding else pool[positions[0]]
            if reading.margin >= self.alone_margin and reading.differing is None:
                chosen = [support, *self._within_words(short, support, chosen)]
            else:
                chosen = [support, *(pair for pair in chosen if pair != support)]
        lead = ""
        if short and reading is not None and reading.differing is not None:
            # Reports of different dates differ: the newest one's answer leads, the short
            # answer included, whichever the reader scored higher.
            short = newest_first(reading, documents)[0].span.text
            chosen, lead = differing_reports(reading, documents, pool, chosen)
        return answer_from(question, documents, chosen, short, lead=lead)

    def _within_words(
        self, short: str, support: tuple[int, str], chosen: list[tuple[int, str]]
    ) -> list[tuple[int, str]]:
        """The next of the best sentences after the support, if the answer stays within
        `answer_words` with it; else none."""
        following = [pair for pair in chosen if pair != support][:1]
        words = sum(len(text.split()) for text in (short, support[1], *(s for _, s in following)))
        return following if words <= self.answer_words else []

    def _describe(self, texts: list[str]) -> list[list[float]]:
        return self.embeddings.embed_together(texts)

    def _best_sentences(
        self, candidates: list[_Candidate], pool: list[tuple[int, str]], question: str
    ) -> list[_Candidate]:
        """The best few sentences: those scoring near the best one, within the answer's
        length, and the sentence after the best when that one names the subject but holds
        no answer."""
        chosen: list[_Candidate] = []
        floor = candidates[0].score * self.keep_ratio if candidates else 0.0
        for candidate in candidates:
            if len(chosen) == MAX_SENTENCES or candidate.score < floor:
                break
            if _length(chosen) + len(candidate.sentence) > MAX_ANSWER_CHARS and chosen:
                continue
            chosen.append(candidate)
        if self.follow_on and chosen and not chosen[0].answers:
            chosen = self._with_next_sentence(chosen, pool, question)
        return chosen

    def _pool(self, documents: list[Document]) -> list[tuple[int, str]]:
        return sentence_pool(documents, split_lines=self.split_lines)

    def _rank(self, question: str, pool: list[tuple[int, str]]) -> list[_Candidate]:
        if not pool:
            return []
        wanted = content_words(question)
        kind = answer_type(question)
        overlaps = [word_overlap(wanted, sentence) for _, sentence in pool]
        strengths = [answer_strength(sentence, question, kind) for _, sentence in pool]
        weight = self.shortlist_type_weight

        def promise(i: int) -> float:
            return overlaps[i] + weight * strengths[i]

        order = sorted(range(len(pool)), key=promise, reverse=True)
        kept = sorted(order[: self.shortlist] if self.shortlist else order)
        # The question's vector may be cached from retrieval, and the vectors of sentences
        # scored lately are kept; what is left is embedded in one call of the model. Small
        # batches (of sentences sorted by length) so that one long sentence doesn't pad all
        # the others to its length (the ONNX backends run one text at a time anyway).
        query, vectors = self.embeddings.embed_query_and_sentences(
            question, [pool[i][1] for i in kept], SCORING_BATCH
        )
        ranked = []
        for i, vector in zip(kept, vectors, strict=True):
            index, sentence = pool[i]
            score = cosine(query, vector) + self.lexical_weight * overlaps[i]
            score += self.type_bonus * strengths[i]
            score -= self.passage_rank_penalty * index
            if sentence.rstrip("\"”’') ").endswith("?"):
                score -= self.question_penalty
            ranked.append(_Candidate(index, sentence, score, strengths[i] > 0, i))
        ranked.sort(key=lambda candidate: candidate.score, reverse=True)
        return ranked

    def _with_next_sentence(
        self, chosen: list[_Candidate], pool: list[tuple[int, str]], question: str
    ) -> list[_Candidate]:
        """The best sentence names the subject but holds no answer: when the sentence after it
        in its passage does, that one follows it ("Hadi al-Amiri heads the organization." after
        "Badr Organization announced ...")."""
        best = chosen[0]
        after = best.position + 1
        if after >= len(pool) or pool[after][0] != best.document:
            return chosen
        sentence = pool[after][1]
        if any(c.sentence == sentence for c in chosen):
            return chosen
        if not holds_answer(sentence, question, answer_type(question)):
            return chosen
        follow = _Candidate(best.document, sentence, best.score, True, after)
        kept = [best, follow]
        for candidate in chosen[1:]:
            if len(kept) < MAX_SENTENCES and _length(kept) + len(candidate.sentence) <= (
                MAX_ANSWER_CHARS
            ):
                kept.append(candidate)
        return kept


def newest_first(reading: Reading, documents: list[Document]) -> list[Mention]:
    """The reader's answer and the report that differs from it, the newest report first."""
    assert reading.differing is not None
    return sorted(
        (reading.mention, reading.differing),
        key=lambda m: -(published_day(documents[m.document]) or 0),
    )


def differing_reports(
    reading: Reading,
    documents: list[Document],
    pool: list[tuple[int, str]],
    chosen: list[tuple[int, str]],
) -> tuple[list[tuple[int, str]], str]:
    """The sentences to cite, the newest report's first and the older one's among them, and
    the line that leads the answer: the newest report's answer with its date, then what the
    earlier one said, each with its [n]: "The Red Front, as of 20 April 2024 [1]; before
    that, The Blue Brigade (10 January 2024) [2]." ("as of" the report's date: the report
    doesn't say since when.)"""
    newest, older = newest_first(reading, documents)
    for mention in (older, newest):  # each name's sentence is cited and quoted, newest first
        named = [pair for pair in chosen if pair[0] == mention.document]
        holding = [pair for pair in named if mention.span.text in pair[1]]
        support = holding[0] if holding else pool[mention.position]
        chosen = [support, *(pair for pair in chosen if pair != support)]
    numbers: dict[int, int] = {}
    for index, _ in chosen:
        numbers.setdefault(index, len(numbers) + 1)

    def dated(mention: Mention) -> str:
        return spoken(date.fromordinal(published_day(documents[mention.document]) or 1))

    lead = DIFFERING.format(
        newest=newest.span.text,
        newest_day=dated(newest),
        newest_n=numbers[newest.document],
        older=older.span.text,
        older_day=dated(older),
        older_n=numbers[older.document],
    )
    return chosen, lead


def answer_from(
    question: str,
    documents: list[Document],
    chosen: list[tuple[int, str]],
    short: str = "",
    note: str = "",
    *,
    lead: str = "",
) -> Answer:
    """The answer made of the `chosen` (passage index, sentence) pairs, each followed by the
    [n] of its passage, after the short answer, with the `lead` on a line of its own before
    them and the `note` after them. Every cited sentence is in its passage's quote."""
    numbers: dict[int, int] = {}
    cited: dict[int, list[str]] = {}
    parts = []
    for index, sentence in chosen:
        n = numbers.setdefault(index, len(numbers) + 1)
        cited.setdefault(index, []).append(sentence)
        parts.append(f"{sentence} [{n}]")
    citations: list[Citation] = [
        citation_for(documents[index], n, quote_of(documents[index].page_content, cited[index]))
        for index, n in numbers.items()
    ]
    return Answer(
        question=question,
        answer=(f"{lead}\n" if lead else "") + " ".join(parts) + (f"\n{note}" if note else ""),
        refused=False,
        citations=citations,
        short_answer=short,
    )


def quote_of(text: str, sentences: list[str]) -> str:
    """The cited `sentences` of one passage in the passage's order, each verbatim: one after
    the other as the passage has them, QUOTE_GAP between two it has apart."""
    ordered = sorted(sentences, key=text.find)
    quote = ordered[0]
    for before, after in pairwise(ordered):
        end = text.find(before) + len(before)
        between = text[end : text.find(after)]
        quote += " " + after if end >= len(before) and not between.strip() else QUOTE_GAP + after
    return quote


def sentence_pool(documents: list[Document], *, split_lines: bool = True) -> list[tuple[int, str]]:
    """Every distinct sentence of the passages as (passage index, sentence), each passage's in
    order. A headline or a caption on a line of its own is a sentence of its own, not glued to
    the next one."""
    seen: set[str] = set()
    pool: list[tuple[int, str]] = []
    for index, document in enumerate(documents):
        for sentence in sentences_of(document.page_content):
            pieces = sentence.split("\n") if split_lines else [sentence]
            for piece in (p.strip() for p in pieces):
                if piece and piece not in seen:
                    seen.add(piece)
                    pool.append((index, piece))
    return pool


def _length(candidates: list[_Candidate]) -> int:
    return sum(len(c.sentence) for c in candidates)
