"""What ranking the reports of the span a question names first (bot/answering/time_window.py)
would do, on every bench, without an embedded store: BM25 over the bench's chunks (the
indexer's chunking) published by the question's date, weighted toward recent ones as the
retriever does, with and without the span's boost. Hit@1/4/10 of the widened passages (the
found chunk with its neighbours and its article's lede), for the questions the benches mark
answerable.

    .venv/bin/python -m bench.time_windows ../shared/bench/rtqa-train-2022 \
        ../shared/bench/rtqa-train-2023 ../shared/bench/rtqa-dev [--boost 2]

BM25 alone is not the service's retrieval (no vectors, no fusion): the figures say which way
the boost moves ranking, on all questions and on those naming a span, not the service's Hit@k.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from bot.answering.retrieval_steps import RECENCY_DAYS, RECENCY_WEIGHT, day_number
from bot.answering.time_window import window_in
from bot.evaluation.bench import read_articles, read_questions
from bot.evaluation.metrics import first_hit_rank, hit_rate
from index.chunking import Chunk, chunk_article, join_chunks
from index.text import terms

KS = (1, 4, 10)


class Corpus:
    """A bench's chunks with their days and a BM25 index over them."""

    def __init__(self, bench: Path) -> None:
        self.chunks: list[Chunk] = []
        self.days: list[int] = []
        self.by_article: dict[str, list[Chunk]] = defaultdict(list)
        for article in read_articles(bench):
            pieces = chunk_article(article)
            self.by_article[article.key] = pieces
            for piece in pieces:
                self.chunks.append(piece)
                self.days.append(day_number(article.published) or 0)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        for i, piece in enumerate(self.chunks):
            counts = Counter(terms(piece.text))
            self.lengths.append(sum(counts.values()))
            for term, count in counts.items():
                self.postings[term].append((i, count))
        self.average = sum(self.lengths) / max(1, len(self.lengths))

    def scores(self, question: str, asked: int) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(terms(question)):
            found = self.postings.get(term, [])
            idf = math.log(1 + (len(self.chunks) - len(found) + 0.5) / (len(found) + 0.5))
            for i, count in found:
                if self.days[i] > asked + 1:
                    continue
                norm = count + 1.2 * (0.25 + 0.75 * self.lengths[i] / self.average)
                scores[i] += idf * count * 2.2 / norm
        return scores

    def passages(self, ranked: list[int], top: int) -> list[str]:
        """The best `top` passages: each chunk with its neighbours and its article's lede."""
        texts: list[str] = []
        seen: set[tuple[str, int]] = set()
        for i in ranked:
            piece = self.chunks[i]
            if (piece.article_key, piece.position) in seen:
                continue
            places = {0, piece.position - 1, piece.position, piece.position + 1}
            kept = [c for c in self.by_article[piece.article_key] if c.position in places]
            seen.update((c.article_key, c.position) for c in kept)
            texts.append(join_chunks(kept))
            if len(texts) == top:
                break
        return texts


def ranked(corpus: Corpus, question: str, asked_on: date, boost: float | None) -> list[int]:
    """Chunk numbers best first: BM25 × recency (from the span's end when a span is named and
    boosted), × `boost` inside the span; `boost` None: the question's words ignored."""
    asked = asked_on.toordinal()
    window = window_in(question, asked_on) if boost is not None else None
    today = asked
    if window is not None and window.until is not None:
        today = min(today, window.until.toordinal())
    scores = corpus.scores(question, asked)
    for i in scores:
        age = max(0, today - corpus.days[i])
        scores[i] *= 1 + RECENCY_WEIGHT * math.exp(-age / RECENCY_DAYS)
        inside = window is not None and window.is_span and corpus.days[i] > 0
        if inside and window is not None and window.holds(date.fromordinal(corpus.days[i])):
            scores[i] *= boost or 1.0
    return sorted(scores, key=lambda i: -scores[i])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benches", type=Path, nargs="+")
    parser.add_argument("--boost", type=float, default=2.0)
    args = parser.parse_args()
    for bench in args.benches:
        corpus = Corpus(bench)
        questions = [q for q in read_questions(bench, None) if q.answer_in_corpus and q.asked]
        rows: dict[str, dict[str, list[int | None]]] = {
            "all": {"before": [], "after": []},
            "naming a span": {"before": [], "after": []},
        }
        for q in questions:
            assert q.asked is not None
            window = window_in(q.question, q.asked)
            spanned = window is not None and window.is_span
            before = _rank(corpus, q.question, q.asked, q.answer, None)
            # Without a span the boost changes nothing: the ranking is the same.
            after = _rank(corpus, q.question, q.asked, q.answer, args.boost) if spanned else before
            for name, rank in (("before", before), ("after", after)):
                rows["all"][name].append(rank)
                if spanned:
                    rows["naming a span"][name].append(rank)
        for label, pair in rows.items():
            figures = " | ".join(
                " / ".join(f"{hit_rate(pair[name], k):.3f}" for k in KS)
                for name in ("before", "after")
            )
            print(f"| {bench.name} | {label} | {len(pair['before'])} | {figures} |", flush=True)
    return 0


def _rank(corpus: Corpus, question: str, asked: date, gold: str, boost: float | None) -> int | None:
    order = ranked(corpus, question, asked, boost)
    return first_hit_rank(gold, corpus.passages(order, max(KS)))


if __name__ == "__main__":
    raise SystemExit(main())
