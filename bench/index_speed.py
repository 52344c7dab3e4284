"""Indexing speed on a bench folder: our first index (with the default embedding backend) and
an unchanged re-index, next to the raw throughput of the same model on the same chunks under
each backend (torch, ONNX fp32, ONNX int8) and the textbook LangChain indexing
(`Chroma.from_documents`), all measured in this run.

    .venv/bin/python bench/index_speed.py [BENCH_DIR] [--articles N] [--no-textbook]

BENCH_DIR defaults to ../shared/bench/rtqa-dev. Everything is written to a temp folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.evaluation.baseline import build_textbook_store
from bot.evaluation.bench import read_articles
from bot.settings import PROJECT_DIR
from index.articles import Article
from index.chroma_client import open_store
from index.chunking import chunk_article
from index.embeddings import BACKENDS, BATCH_SIZE, DEFAULT_BACKEND, make_embeddings
from index.indexer import Indexer
from index.ingest.fetch import FetchPolicy
from index.ingest.loaders import load_paths
from index.ingest.sources import Sources
from index.keyword import KeywordIndex
from index.pipeline import index_articles


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "bench", nargs="?", type=Path, default=PROJECT_DIR.parent / "shared/bench/rtqa-dev"
    )
    parser.add_argument("--articles", type=int, help="use only the first N articles")
    parser.add_argument("--no-textbook", action="store_true", help="skip the textbook baseline")
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND,
        help=f"the backend of our end-to-end run (default: {DEFAULT_BACKEND})",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    work = Path(tempfile.mkdtemp(prefix="newsdesk-index-speed-"))
    source = args.bench / "articles.jsonl.gz"
    if args.articles:  # a slice of the bench, written where the CLI can read it too
        subset = read_articles(args.bench)[: args.articles]
        source = work / "articles.jsonl"
        rows = [{"id": a.key, "title": a.title, "text": a.text, "url": a.url,
                 "source": a.source, "published": a.published} for a in subset]  # fmt: skip
        source.write_text("\n".join(json.dumps(row) for row in rows))
    articles = [a for a in load_paths([source]) if isinstance(a, Article)]
    models = work / "models"
    backends = {name: make_embeddings(backend=name, cache_dir=models) for name in BACKENDS}
    for loaded in backends.values():  # load (export) and warm each outside every timing
        loaded.embed_documents(["warm up"])
    embeddings = backends[args.backend]

    # 1. Ours, first index, as `newsdesk index` runs it: chunking, embedding, Chroma writes,
    #    keyword index.
    home = work / "home"
    store = open_store("newsdesk-articles", path=home / "chroma")
    keyword = KeywordIndex(home / "keyword" / "newsdesk-articles").sync
    say(f"newsdesk ({args.backend}): first index of {len(articles):,} articles")
    started = time.perf_counter()
    summary = index_articles(articles, store, embeddings, keyword=keyword)
    first_seconds = time.perf_counter() - started
    chunks = summary.chunks_added
    say(f"  {summary.describe()} in {first_seconds:.1f} s")

    # 2. Raw model throughput on exactly the same chunk texts, one encode call per backend.
    texts = [c.embedding_text for a in articles for c in chunk_article(a)]
    raw_seconds: dict[str, float] = {}
    for name, loaded in backends.items():
        say(f"raw model, {name}: encoding the same {len(texts):,} chunks")
        started = time.perf_counter()
        loaded.model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True)
        raw_seconds[name] = time.perf_counter() - started

    # 3. Unchanged re-index of the same source into the same home: the CLI end to end (a new
    #    process, imports included), then in-process with a lazy model.
    env = {**os.environ, "NEWSDESK_HOME": str(home)}
    command = [sys.executable, "-m", "bot", "index", str(source), "--quiet"]
    started = time.perf_counter()
    rerun = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    cli_seconds = time.perf_counter() - started
    say(f"  re-index: {rerun.stdout.strip()}")
    lazy = Indexer(
        store=open_store("newsdesk-articles", path=home / "chroma"),
        embeddings=make_embeddings(backend=args.backend, cache_dir=models, lazy=True),
        keyword=KeywordIndex(home / "keyword" / "newsdesk-articles").sync,
        fetch_policy=FetchPolicy(),
    )
    started = time.perf_counter()
    again = lazy.run(Sources(paths=[source]))
    inprocess_seconds = time.perf_counter() - started
    assert again.chunks_added == 0 and not lazy.embeddings.loaded

    textbook = None
    if not args.no_textbook:
        _, textbook_chunks, textbook_seconds = build_textbook_store(articles, work, say)
        textbook = (textbook_chunks, textbook_seconds)

    ours = chunks / first_seconds
    torch_rate = len(texts) / raw_seconds["torch"]
    print(f"bench {args.bench}: {len(articles):,} articles, {chunks:,} chunks (ours)")
    print(f"{'run':<46}{'chunks':>8}{'seconds':>9}{'chunks/s':>10}{'x torch':>9}")

    def row(name: str, count: int, seconds: float) -> None:
        rate = count / seconds
        print(f"{name:<46}{count:>8,}{seconds:>9.1f}{rate:>10.1f}{rate / torch_rate:>8.2f}x")

    row(f"newsdesk first index ({args.backend}, end to end)", chunks, first_seconds)
    for name, seconds in raw_seconds.items():
        row(f"raw encode, {name}, same chunks", len(texts), seconds)
    if textbook:
        row("textbook Chroma.from_documents (torch)", textbook[0], textbook[1])
    print(f"newsdesk end to end / raw torch: {ours / torch_rate:.2f}x (goal >= 2.5x)")
    print(f"unchanged re-index, `newsdesk index` end to end: {cli_seconds:.1f} s (goal <= 10 s)")
    print(f"unchanged re-index, in-process (no interpreter start): {inprocess_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
