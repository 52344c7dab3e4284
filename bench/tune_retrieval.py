"""Choose the retrieval fusion weights on the dev bench.

Reads the bench index that `newsdesk eval BENCH --store DIR` left in DIR (so nothing is
embedded again) and prints Hit@1/4/10 and MRR@10 over the answerable questions for vector
search alone, BM25 alone, and reciprocal-rank fusion with several weights and list lengths,
then asked as of each question's date (later articles left out) with several recency weights,
and last with each found chunk widened by 0, 1 or 2 neighbours on either side (small to big),
and shown after its article's lede.
The passage column is the mean length of the top 4 passages, in characters: longer passages
hold the answer string more often, so Hit@k is only comparable at similar lengths.

    .venv/bin/python bench/tune_retrieval.py --store DIR [--bench ../shared/bench/rtqa-dev]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.answering.retrieval import ChunkRetriever
from bot.evaluation.bench import read_questions
from bot.evaluation.metrics import first_hit_rank, hit_rate, mean_reciprocal_rank
from bot.settings import PROJECT_DIR
from index.chroma_client import open_store
from index.embeddings import make_embeddings
from index.keyword import KeywordIndex

# (label, dense weight, keyword weight, candidates per list, recency weight, as of the question,
# neighbours, ledes)
GRID = [
    ("vector only", 1.0, 0.0, 100, 0.0, False, 0, False),
    ("BM25 only", 0.0, 1.0, 100, 0.0, False, 0, False),
    ("RRF 1:1, 30", 1.0, 1.0, 30, 0.0, False, 0, False),
    ("RRF 1:1, 100", 1.0, 1.0, 100, 0.0, False, 0, False),
    ("RRF 1:1.5, 100", 1.0, 1.5, 100, 0.0, False, 0, False),
    ("RRF 1.5:1, 100", 1.5, 1.0, 100, 0.0, False, 0, False),
    ("RRF 1:1, as of", 1.0, 1.0, 100, 0.0, True, 0, False),
    ("x recency 0.5", 1.0, 1.0, 100, 0.5, True, 0, False),
    ("x recency 1", 1.0, 1.0, 100, 1.0, True, 0, False),
    ("x recency 2", 1.0, 1.0, 100, 2.0, True, 0, False),
    ("x rec 1, +-1 chunk", 1.0, 1.0, 100, 1.0, True, 1, False),
    ("x rec 2, +-1 chunk", 1.0, 1.0, 100, 2.0, True, 1, False),
    ("x rec 1, +-2 chunks", 1.0, 1.0, 100, 1.0, True, 2, False),
    ("x rec 1, lede, +-1", 1.0, 1.0, 100, 1.0, True, 1, True),
    ("x rec 1, lede+chunk", 1.0, 1.0, 100, 1.0, True, 0, True),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=PROJECT_DIR.parent / "shared/bench/rtqa-dev")
    parser.add_argument("--store", type=Path, required=True, help="the DIR given to eval --store")
    args = parser.parse_args()

    store = open_store("eval-bench", path=args.store / "chroma")
    keyword = KeywordIndex(args.store / "keyword")
    keyword.sync.catch_up(store)
    embeddings = make_embeddings()
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    print(f"{len(questions)} answerable questions, {store.count():,} chunks")
    print(f"{'retriever':<20}{'Hit@1':>8}{'Hit@4':>8}{'Hit@10':>8}{'MRR@10':>8}{'passage':>9}")
    for label, dense, lexical, candidates, recency, as_of, neighbours, ledes in GRID:
        retriever = ChunkRetriever(
            store=store,
            embeddings=embeddings,
            keyword=keyword.search,
            k=10,
            candidates=candidates,
            dense_weight=dense,
            keyword_weight=lexical,
            recency_weight=recency,
            neighbours=neighbours,
            ledes=ledes,
        )
        ranks = []
        lengths: list[int] = []
        for q in questions:
            asked = q.asked if as_of else None
            passages = [d.page_content for d in retriever.invoke(q.question, as_of=asked)]
            ranks.append(first_hit_rank(q.answer, passages))
            lengths.extend(len(passage) for passage in passages[:4])
        print(
            f"{label:<20}{hit_rate(ranks, 1):>8.3f}{hit_rate(ranks, 4):>8.3f}"
            f"{hit_rate(ranks, 10):>8.3f}{mean_reciprocal_rank(ranks, 10):>8.3f}"
            f"{sum(lengths) / max(1, len(lengths)):>9.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
