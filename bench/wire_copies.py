"""Wire copies in what retrieval gives: the share of the top 4 passages that are copies of a
better one, told two ways (near-copies by text, `retrieval_steps.one_per_story`'s test; and
of one story grouped at index time, index/stories.py), and Hit@1/4/10, for each way of keeping
one passage per story, in one run on a store `newsdesk eval BENCH --store DIR` left (nothing
is embedded but the questions). A store from before stories gets them first (timed), as the
next indexing run would give them: run it on a copy.

    .venv/bin/python -m bench.wire_copies --bench ../shared/bench/rtqa-dev --store COPY
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Literal

from bench.retrieval_cache import open_eval_store
from bot.answering import retrieval_steps as steps
from bot.answering.retrieval import ChunkRetriever
from bot.evaluation.bench import read_questions
from bot.evaluation.metrics import first_hit_rank, hit_rate
from bot.settings import Settings
from index.backfill import backfill_stories

KS = (1, 4, 10)
TOP = 4
# (label, one_per_story, wire_copies)
VARIANTS: tuple[tuple[str, bool, Literal["stories", "text", "both"]], ...] = (
    ("as before (none)", False, "both"),
    ("by text at question time", True, "text"),
    ("by story at index time", True, "stories"),
    ("both", True, "both"),
)


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


def same_story_in(found: list[tuple[str, str]]) -> int:
    """How many of the (story, article) pairs are of a story an earlier one of another
    article is of: another outlet's copy."""
    first: dict[str, str] = {}
    return sum(first.setdefault(story, article) != article for story, article in found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument("--store", type=Path, required=True, help="the DIR given to eval --store")
    args = parser.parse_args()

    store, keyword, embeddings = open_eval_store(Settings(), args.store)
    started = time.perf_counter()
    with store.writing():
        given = backfill_stories(store)
    print(f"stories given to {given} articles in {time.perf_counter() - started:.1f} s")
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    print("| bench | passages | Hit@1 / 4 / 10 | text copies in top 4 | same story in top 4 |")
    for label, one_per_story, wire_copies in VARIANTS:
        retriever = ChunkRetriever(
            store=store,
            embeddings=embeddings,
            keyword=keyword.search,
            k=max(KS),
            one_per_story=one_per_story,
            wire_copies=wire_copies,
        )
        ranks: list[int | None] = []
        copies = same = 0
        started = time.perf_counter()
        for q in questions:
            found = retriever.invoke(q.question, as_of=q.asked or date.today())
            texts = [d.page_content for d in found]
            ranks.append(first_hit_rank(q.answer, texts))
            copies += copies_in(texts[:TOP])
            same += same_story_in(
                [(steps.story_of(d), str(d.metadata["article_key"])) for d in found[:TOP]]
            )
        took = (time.perf_counter() - started) / len(questions)
        hits = " / ".join(f"{hit_rate(ranks, k):.3f}" for k in KS)
        slots = TOP * len(questions)
        print(
            f"| {args.bench.name} | {label} | {hits} | {copies / slots:.4f} ({copies} of {slots}) "
            f"| {same / slots:.4f} ({same}) | {took * 1000:.0f} ms/question |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
