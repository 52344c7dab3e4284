"""Keyword index speed: a whole build, then adding and replacing a few articles, and searches,
on the chunks of an eval store; next to a bm25s rebuild of the same chunks (what every change
cost before) if bm25s is installed.

    .venv/bin/python bench/keyword_speed.py --store /tmp/nd/dev-store [--questions FILE]

--store is a folder made by `newsdesk eval --store` (its `chroma` collection "eval-bench").
Everything is written to a temp folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.evaluation.metrics import percentile
from index.chroma_client import open_store
from index.chunking import Chunk
from index.keyword import KeywordIndex
from index.text import terms


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument(
        "--questions", type=Path, default=Path("../shared/bench/rtqa-dev/questions.jsonl")
    )
    args = parser.parse_args()
    store = open_store("eval-bench", path=args.store / "chroma")
    chunks = store.all_chunks()
    by_article: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_article.setdefault(chunk.article_key, []).append(chunk)
    articles = list(by_article)
    work = Path(tempfile.mkdtemp(prefix="newsdesk-keyword-speed-"))
    print(f"{len(chunks):,} chunks of {len(articles):,} articles from {args.store}")

    keyword = KeywordIndex(work / "keyword")
    build = timed(lambda: keyword.sync.apply(chunks, []))
    print(f"tantivy whole build:                      {build:8.2f} s")
    for count in (10, 100):
        replaced = [replace(c, id=c.id + "-v2") for a in articles[:count] for c in by_article[a]]
        old_ids = [c.id for a in articles[:count] for c in by_article[a]]
        seconds = timed(lambda r=replaced, o=old_ids: keyword.sync.apply(r, o))  # type: ignore[misc]
        print(f"tantivy replace {count:>3} articles ({len(replaced):>5} chunks): {seconds:8.2f} s")
        fresh = [replace(c, id=c.id + "-new", article_key=c.article_key + "-new") for c in replaced]
        seconds = timed(lambda f=fresh: keyword.sync.apply(f, []))  # type: ignore[misc]
        print(f"tantivy add     {count:>3} articles ({len(fresh):>5} chunks): {seconds:8.2f} s")

    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines()]
    latencies = []
    for question in questions:
        latencies.append(timed(lambda q=question: keyword.search.search(q, 100)))  # type: ignore[misc]
    p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
    print(
        f"tantivy search, {len(questions)} questions, top 100:  p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )

    try:
        import bm25s
    except ImportError:
        print("bm25s is not installed: no rebuild to compare with")
        return 0
    texts = [terms(chunk.embedding_text) or ["\x00"] for chunk in chunks]

    def rebuild() -> None:
        bm25s.BM25().index(texts, show_progress=False)

    print(f"bm25s whole rebuild (every change before): {timed(rebuild):8.2f} s")
    import numpy as np

    bm25 = bm25s.BM25()
    bm25.index(texts, show_progress=False)
    latencies = []
    for question in questions:
        wanted = terms(question)
        started = time.perf_counter()
        if wanted:
            scores = np.asarray(bm25.get_scores(wanted))
            np.argpartition(-scores, 99)[:100]
        latencies.append(time.perf_counter() - started)
    p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
    print(f"bm25s search, same questions, top 100: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
