"""Ranking variants replayed offline over the candidates `bench/retrieval_cache.py` gathered,
in seconds per bench: each variant scores every question's candidates, and the replay keeps
the best 10 as `ChunkRetriever` does (the future left out, each list's first `CANDIDATES`,
none inside a better one's passage) and prints Hit@1/4/10 per bench.

A logistic regression over per-candidate features (label: the candidate's passage holds the
gold answer) is fitted on the benches named by `--fit` only and replayed on every bench.
Tune and fit on the train and dev benches; give rtqa-val only to confirm a final choice.

    .venv/bin/python -m bench.rank_variants /tmp/retrieval/cache/rtqa-train-2022.pkl.gz \
        /tmp/retrieval/cache/rtqa-train-2023.pkl.gz /tmp/retrieval/cache/rtqa-dev.pkl.gz \
        --fit rtqa-train-2022,rtqa-train-2023
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import math
import pickle
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.retrieval_cache import Asked
from bot.answering.retrieval_steps import CANDIDATES, FUTURE_SLACK_DAYS, RRF_K
from index.text import content_words, terms

FEATURES = [
    "dense_rr",  # 1 / (RRF_K + rank) in the vector list, 0 if not in its first CANDIDATES
    "keyword_rr",
    "feedback_rr",  # in the BM25 list of the question with feedback terms
    "cosine",  # a keyword-only candidate gets the lowest cosine of the vector list
    "bm25",  # over the question's best; a vector-only candidate gets the list's lowest
    "recency",  # e^(-age / 10 days)
    "week",  # published from a day after the question to 8 days before it
    "title_words",  # share of the question's terms in the title
    "text_words",
    "names_text",  # share of the question's capitalized words (not its first) in the text
    "names_title",
    "lede",
    "article_count",  # log(1 + candidates from the same article)
]
COLUMN = {name: number for number, name in enumerate(FEATURES)}
_CAPITALIZED = re.compile(r"\b[A-Z][\w'’.-]*[A-Za-z0-9]")
UNDATED_AGE = 30


@dataclass
class Pool:
    """One question's candidates as arrays, the future already left out."""

    id: str
    features: np.ndarray
    age: np.ndarray
    hit: np.ndarray  # the passage holds the gold answer
    hit_wider: np.ndarray  # with two neighbours a side
    hit_without_lede: np.ndarray
    article: list[str]
    position: np.ndarray
    in_pool: np.ndarray  # in either list's first CANDIDATES, as the retriever gathers them


def name_terms(question: str) -> set[str]:
    first = question.split()[0] if question.split() else ""
    found = [word for word in _CAPITALIZED.findall(question) if word != first]
    return {term for word in found for term in terms(word)}


def pool_of(asked: Asked) -> Pool:
    latest = None if asked.as_of is None else asked.as_of + FUTURE_SLACK_DAYS
    kept = [c for c in asked.candidates if latest is None or (c.day or 0) <= latest]

    def ranks(of: Callable[[object], int | None]) -> dict[str, int]:
        listed = sorted((c for c in kept if of(c)), key=lambda c: of(c) or 0)
        return {c.id: r for r, c in enumerate(listed, 1) if (of(c) or 0) <= CANDIDATES}

    dense = ranks(lambda c: c.dense_rank)  # type: ignore[attr-defined]
    keyword = ranks(lambda c: c.keyword_rank)  # type: ignore[attr-defined]
    feedback = ranks(lambda c: c.feedback_rank)  # type: ignore[attr-defined]
    cosines = [c.cosine for c in kept if c.cosine is not None]
    scores = [c.bm25 for c in kept if c.bm25 is not None]
    lowest_cosine, best, lowest = min(cosines, default=0.0), max(scores, default=1.0), 0.0
    lowest = min(scores, default=0.0)
    wanted, names = content_words(asked.understood), name_terms(asked.understood)
    per_article = Counter(c.article_key for c in kept if c.id in dense or c.id in keyword)
    rows, ages = [], []
    for c in kept:
        age = UNDATED_AGE if asked.as_of is None or c.day is None else asked.as_of - c.day
        title, text = content_words(c.title), content_words(c.text)
        rows.append(
            [
                1 / (RRF_K + dense[c.id]) if c.id in dense else 0.0,
                1 / (RRF_K + keyword[c.id]) if c.id in keyword else 0.0,
                1 / (RRF_K + feedback[c.id]) if c.id in feedback else 0.0,
                c.cosine if c.cosine is not None else lowest_cosine,
                (c.bm25 if c.bm25 is not None else lowest) / (best or 1.0),
                math.exp(-max(0, age) / 10),
                1.0 if -FUTURE_SLACK_DAYS <= age <= 8 else 0.0,
                len(wanted & title) / max(1, len(wanted)),
                len(wanted & text) / max(1, len(wanted)),
                len(names & text) / len(names) if names else 0.0,
                len(names & title) / len(names) if names else 0.0,
                1.0 if c.position == 0 else 0.0,
                math.log(1 + per_article[c.article_key]),
            ]
        )
        ages.append(age)
    return Pool(
        asked.id,
        np.array(rows).reshape(len(kept), len(FEATURES)),
        np.array(ages),
        np.array([c.hit for c in kept]),
        np.array([c.hit_wider for c in kept]),
        np.array([c.hit_without_lede for c in kept]),
        [c.article_key for c in kept],
        np.array([c.position for c in kept]),
        np.array([c.id in dense or c.id in keyword for c in kept]),
    )


def first_hit(pool: Pool, scores: np.ndarray, neighbours: int = 1, k: int = 10) -> int | None:
    """The rank of the first of the best k passages that holds the answer, as the retriever
    would keep and widen them (a passage whose lede is itself kept is shown without it)."""
    candidates = np.flatnonzero(pool.in_pool)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    taken: dict[str, list[int]] = {}
    kept: list[int] = []
    for i in order:
        near = taken.setdefault(pool.article[i], [])
        if any(abs(pool.position[i] - p) <= neighbours for p in near):
            continue
        near.append(int(pool.position[i]))
        kept.append(int(i))
        if len(kept) == k:
            break
    for rank, i in enumerate(kept, 1):
        held = pool.hit[i] if neighbours == 1 else pool.hit_wider[i]
        if neighbours == 1 and pool.position[i] > 1 and 0 in taken[pool.article[i]]:
            held = pool.hit_without_lede[i]
        if held:
            return rank
    return None


Score = Callable[[Pool], np.ndarray]


def column(pool: Pool, name: str) -> np.ndarray:
    return pool.features[:, COLUMN[name]]


def fused(
    pool: Pool, dense: float = 1.0, keyword: float = 1.0, feedback: float = 0.0
) -> np.ndarray:
    return (
        dense * column(pool, "dense_rr")
        + keyword * column(pool, "keyword_rr")
        + feedback * column(pool, "feedback_rr")
    )


def shipped(weight: float = 1.0, days: float = 10.0, **fusion: float) -> Score:
    """Reciprocal-rank fusion times 1 + weight · e^(−age / days): the retriever's formula."""
    return lambda p: fused(p, **fusion) * (1 + weight * np.exp(-np.maximum(0, p.age) / days))


def times(base: Score, name: str, weight: float) -> Score:
    """The base score times 1 + weight · a feature."""
    return lambda p: base(p) * (1 + weight * column(p, name))


def in_window(base: Score, first: int, last: int, weight: float) -> Score:
    """The base score times 1 + weight for a candidate `first` to `last` days old."""
    return lambda p: base(p) * (1 + weight * ((p.age >= first) & (p.age <= last)))


VARIANTS: list[tuple[str, Score, int]] = [
    ("shipped: RRF 1:1 x (1 + e^-age/10)", shipped(), 1),
    ("RRF 1:1.5", shipped(keyword=1.5), 1),
    ("RRF 1.5:1", shipped(dense=1.5), 1),
    ("RRF 1:1 + feedback 0.5", shipped(feedback=0.5), 1),
    ("recency w 2", shipped(2.0), 1),
    ("recency w 2, 5 days", shipped(2.0, 5.0), 1),
    ("recency w 1, 20 days", shipped(1.0, 20.0), 1),
    ("x (1 + 0.5 week)", times(shipped(), "week", 0.5), 1),
    ("x (1 + 1 week)", times(shipped(), "week", 1.0), 1),
    ("x 2 for 0-7 days", in_window(shipped(), 0, 7, 1.0), 1),
    ("x 2 for 0-10 days", in_window(shipped(), 0, 10, 1.0), 1),
    ("x (1 + 0.25 title words)", times(shipped(), "title_words", 0.25), 1),
    ("x (1 + 0.25 names in text)", times(shipped(), "names_text", 0.25), 1),
    ("x (1 + 0.25 names in title)", times(shipped(), "names_title", 0.25), 1),
    ("x (1 + 0.25 text words)", times(shipped(), "text_words", 0.25), 1),
    ("shipped, 2 neighbours a side", shipped(), 2),
]


def fit(pools: list[Pool], names: list[str]) -> Score:
    """A logistic regression's linear score over `names`, fitted on every candidate."""
    from sklearn.linear_model import LogisticRegression

    columns = [COLUMN[name] for name in names]
    x = np.vstack([p.features[p.in_pool][:, columns] for p in pools])
    y = np.concatenate([p.hit[p.in_pool] for p in pools])
    mean, spread = x.mean(0), x.std(0) + 1e-9
    model = LogisticRegression(max_iter=2000).fit((x - mean) / spread, y)
    weights = model.coef_[0] / spread
    print(
        f"  fitted on {len(pools)} questions: "
        + ", ".join(f"{name} {weight:.3g}" for name, weight in zip(names, weights, strict=True))
    )
    return lambda p: p.features[:, columns] @ weights


LEARNED = {
    "LR: ranks, recency, week": ["dense_rr", "keyword_rr", "recency", "week"],
    "LR: + scores": ["dense_rr", "keyword_rr", "cosine", "bm25", "recency", "week"],
    "LR: + title and names": [
        *["dense_rr", "keyword_rr", "cosine", "bm25", "recency", "week"],
        *["title_words", "names_text", "names_title"],
    ],
    "LR: every feature": FEATURES,
}


# The formula's constants searched directly for Hit@4 (then MRR@10) on the fit benches: a
# pointwise regression optimizes the candidates' labels, not the first hit's rank.
GRID = {
    "keyword": [1.0, 1.5, 2.0],
    "weight": [1.0, 2.0, 3.0],
    "days": [5.0, 7.0, 10.0, 15.0],
    "week": [0.0, 0.25, 0.5, 1.0],
}


def formula(keyword: float, weight: float, days: float, week: float) -> Score:
    return times(shipped(weight, days, keyword=keyword), "week", week)


def objective(pools: list[Pool], score: Score) -> tuple[float, float]:
    ranks = [first_hit(p, score(p)) for p in pools]
    return rate(ranks, 4), sum(1 / r for r in ranks if r is not None) / len(ranks)


def search(pools: list[Pool]) -> list[tuple[tuple[float, float], dict[str, float]]]:
    """Every combination of GRID, best first on `pools`."""
    combos = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    scored = [(objective(pools, formula(**combo)), combo) for combo in combos]
    return sorted(scored, key=lambda pair: pair[0], reverse=True)


def held_out_weeks(pools: list[Pool]) -> str:
    """Hit@1/4/10 of the grid's choice made without each week, on that week: what the search
    is worth on weeks it didn't see."""
    weeks = sorted({p.id[:8] for p in pools})
    ranks: list[int | None] = []
    for week in weeks:
        chosen = search([p for p in pools if p.id[:8] != week])[0][1]
        score = formula(**chosen)
        ranks += [first_hit(p, score(p)) for p in pools if p.id[:8] == week]
    return " / ".join(f"{rate(ranks, k):.3f}" for k in (1, 4, 10))


def rate(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def hits(pools: list[Pool], score: Score, neighbours: int) -> str:
    ranks = [first_hit(p, score(p), neighbours) for p in pools]
    return " / ".join(f"{rate(ranks, k):.3f}" for k in (1, 4, 10))


class _Unpickler(pickle.Unpickler):
    """The cache's classes, whether it was written by `python -m` (as __main__'s) or not."""

    def find_class(self, module: str, name: str) -> Any:
        if name in ("Asked", "Candidate"):
            module = "bench.retrieval_cache"
        return super().find_class(module, name)


def load(path: Path) -> list[Pool]:
    with gzip.open(path, "rb") as cached:
        return [pool_of(asked) for asked in _Unpickler(cached).load()["questions"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("caches", type=Path, nargs="+", help="retrieval_cache outputs")
    parser.add_argument("--fit", default="", help="comma-separated bench names to fit on")
    parser.add_argument("--search", action="store_true", help="search GRID on the fit benches")
    args = parser.parse_args()
    benches = {path.name.split(".")[0]: load(path) for path in args.caches}
    fitted = [p for name in filter(None, args.fit.split(",")) for p in benches[name]]
    print(f"{'variant':<38}" + "".join(f"{name + ' Hit@1/4/10':>26}" for name in benches))
    rows = list(VARIANTS)
    if fitted:
        rows += [(label, fit(fitted, names), 1) for label, names in LEARNED.items()]
    if fitted and args.search:
        for _, combo in search(fitted)[:5]:
            label = "grid: " + ", ".join(f"{name} {value:g}" for name, value in combo.items())
            rows.append((label, formula(**combo), 1))
    for label, score, neighbours in rows:
        cells = "".join(f"{hits(pools, score, neighbours):>26}" for pools in benches.values())
        print(f"{label:<38}{cells}", flush=True)
    if fitted and args.search:
        print(f"grid chosen without each week, on that week: {held_out_weeks(fitted)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
