"""Wire copies in what retrieval gives: the share of the top 4 passages that are copies of a
better one (the same story from another outlet, `retrieval_steps.one_per_story`'s test), and
Hit@1/4/10, with one passage per story and without, in one run on a store `newsdesk eval
BENCH --store DIR` left (nothing is embedded but the questions).

    .venv/bin/python -m bench.wire_copies --bench ../shared/bench/rtqa-dev --store DIR
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bench.retrieval_cache import open_eval_store
from bot.answering import retrieval_steps as steps
from bot.answering.retrieval import ChunkRetriever
from bot.evaluation.bench import read_questions
from bot.evaluation.metrics import first_hit_rank, hit_rate
from bot.settings import Settings

KS = (1, 4, 10)
TOP = 4


def copies_in(texts: list[str]) -> int:
    """How many of the texts are near-copies of an earlier one."""
    seen: list[frozenset[int]] = []
    copies = 0
    for text in texts:
        own = steps.shingles(text)
        if any(own and s and len(own & s) / len(own | s) >= steps.WIRE_SIMILARITY for s in seen):
            copies += 1
        seen.append(own)
    return copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument("--store", type=Path, required=True, help="the DIR given to eval --store")
    args = parser.parse_args()

    store, keyword, embeddings = open_eval_store(Settings(), args.store)
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    for one_per_story in (False, True):
        retriever = ChunkRetriever(
            store=store,
            embeddings=embeddings,
            keyword=keyword.search,
            k=max(KS),
            one_per_story=one_per_story,
        )
        ranks: list[int | None] = []
        copies = 0
        for q in questions:
            found = retriever.invoke(q.question, as_of=q.asked or date.today())
            texts = [d.page_content for d in found]
            ranks.append(first_hit_rank(q.answer, texts))
            copies += copies_in(texts[:TOP])
        hits = " / ".join(f"{hit_rate(ranks, k):.3f}" for k in KS)
        share = copies / (TOP * len(questions))
        label = "one passage per story" if one_per_story else "as before"
        print(f"| {args.bench.name} | {label} | {hits} | {share:.3f} ({copies}) |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
