"""Retrieval latency with and without a chat's scope (issue 29, per-chat sources), on one
store: the question vectors are made first, so what is timed is retrieval alone (the vector
search, BM25, fusion, reading the kept chunks and widening them).

    .venv/bin/python bench/scope_latency.py build /tmp/nd/scope-store [--articles 300]
    .venv/bin/python bench/scope_latency.py time /tmp/nd/scope-store [--collection main]

`build` indexes the first N articles of rtqa-dev into FOLDER (torch backend). Run it with an
older checkout first on PYTHONPATH to get a store from before collections, and `time` both
checkouts on copies of it: without --collection nothing is filtered.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from pathlib import Path
from typing import Any

from bot.answering.retrieval import ChunkRetriever
from index.articles import Article
from index.chroma_client import open_store
from index.embeddings import make_embeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles

BENCH = Path("../shared/bench/rtqa-dev")
QUESTIONS = 80
ROUNDS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "time"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--bench", type=Path, default=BENCH)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--collection", action="append", help="time with this scope")
    args = parser.parse_args()
    embeddings = make_embeddings(backend="torch")
    store = open_store("bench", path=args.folder / "chroma")
    keyword = KeywordIndex(args.folder / "keyword")
    if args.action == "build":
        with gzip.open(args.bench / "articles.jsonl.gz", "rt") as lines:
            rows = [json.loads(line) for _, line in zip(range(args.articles), lines, strict=False)]
        articles = [
            Article(key=row["id"], title=row["title"], text=row["text"][:20000], url=row["url"],
                    source=row["source"], published=str(row["published"])[:10])
            for row in rows
        ]  # fmt: skip
        print(index_articles(articles, store, embeddings, keyword=keyword.sync).describe())
        return 0
    keyword.sync.catch_up(store)
    with (args.bench / "questions.jsonl").open() as lines:
        questions = [json.loads(line)["question"] for line in lines][:QUESTIONS]
    vectors = {question: embeddings.embed_query(question) for question in questions}
    embeddings.embed_query = vectors.__getitem__  # type: ignore[method-assign, assignment]
    retriever = ChunkRetriever(store=store, embeddings=embeddings, keyword=keyword.search)
    # No keyword at all without a scope, so that an older checkout (no scopes) runs it too.
    scope: dict[str, Any] = {"collections": tuple(args.collection)} if args.collection else {}
    for question in questions[:10]:  # warm up
        retriever.invoke(question, None, **scope)
    times = []
    for question in questions * ROUNDS:
        started = time.perf_counter()
        retriever.invoke(question, None, **scope)
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"scope {args.collection or 'none'}: p50 {statistics.median(times):.1f} ms, "
        f"mean {statistics.mean(times):.1f} ms over {len(times)} questions"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
