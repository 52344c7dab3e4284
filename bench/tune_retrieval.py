"""Choose the retrieval fusion weights on the dev bench.

Reads the bench index that `newsdesk eval BENCH --store DIR` left in DIR (so nothing is
embedded again) and prints Hit@1/4/10 and MRR@10 over the answerable questions for vector
search alone, BM25 alone, and reciprocal-rank fusion with several weights and list lengths,
then asked as of each question's date (later articles left out) with several recency weights.

    .venv/bin/python bench/tune_retrieval.py --store DIR [--bench ../shared/bench/rtqa-dev]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.evaluation import read_questions
from bot.metrics import first_hit_rank, hit_rate, mean_reciprocal_rank
from bot.retrieval import ChunkRetriever
from bot.settings import PROJECT_DIR
from index.embeddings import make_embeddings
from index.keyword import KeywordIndex
from index.store import open_store

# (label, dense weight, keyword weight, candidates per list, recency weight, as of the question)
GRID = [
    ("vector only", 1.0, 0.0, 100, 0.0, False),
    ("BM25 only", 0.0, 1.0, 100, 0.0, False),
    ("RRF 1:1, 30", 1.0, 1.0, 30, 0.0, False),
    ("RRF 1:1, 100", 1.0, 1.0, 100, 0.0, False),
    ("RRF 1:1.5, 100", 1.0, 1.5, 100, 0.0, False),
    ("RRF 1.5:1, 100", 1.5, 1.0, 100, 0.0, False),
    ("RRF 1:1, as of", 1.0, 1.0, 100, 0.0, True),
    ("x recency 0.5", 1.0, 1.0, 100, 0.5, True),
    ("x recency 1", 1.0, 1.0, 100, 1.0, True),
    ("x recency 2", 1.0, 1.0, 100, 2.0, True),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=PROJECT_DIR.parent / "shared/bench/rtqa-dev")
    parser.add_argument("--store", type=Path, required=True, help="the DIR given to eval --store")
    args = parser.parse_args()

    store = open_store("eval-bench", path=args.store / "chroma")
    keyword = KeywordIndex(args.store / "keyword")
    keyword.sync(store)
    embeddings = make_embeddings()
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    print(f"{len(questions)} answerable questions, {store.count():,} chunks")
    print(f"{'retriever':<18}{'Hit@1':>8}{'Hit@4':>8}{'Hit@10':>8}{'MRR@10':>8}")
    for label, dense, lexical, candidates, recency, as_of in GRID:
        retriever = ChunkRetriever(
            store=store,
            embeddings=embeddings,
            keyword=keyword,
            k=10,
            candidates=candidates,
            dense_weight=dense,
            keyword_weight=lexical,
            recency_weight=recency,
        )
        ranks = []
        for q in questions:
            asked = q.asked if as_of else None
            passages = [d.page_content for d in retriever.invoke(q.question, as_of=asked)]
            ranks.append(first_hit_rank(q.answer, passages))
        print(
            f"{label:<18}{hit_rate(ranks, 1):>8.3f}{hit_rate(ranks, 4):>8.3f}"
            f"{hit_rate(ranks, 10):>8.3f}{mean_reciprocal_rank(ranks, 10):>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
