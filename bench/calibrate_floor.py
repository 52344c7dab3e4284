"""Calibrate the relevance floor below which newsdesk refuses to answer.

Positives: bench questions whose answer string is in the corpus, asked against the bench index,
where a top-4 passage really contains the answer (these should be answered), plus hand-written
questions the seed article answers. Negatives: every bench question asked against an index of
the seed article alone (a 2017 Iraq report cannot answer 2023 news quizzes), plus hand-written
off-topic questions. For each candidate floor it prints how many positives are kept and how many
negatives are refused, and the floor that gets the most of both right.

    .venv/bin/python bench/calibrate_floor.py [--bench ../shared/bench/rtqa-dev] [--store DIR]

--store keeps the bench index between runs (re-indexing unchanged articles embeds nothing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from bot.answering.retrieval import ChunkRetriever
from bot.settings import PROJECT_DIR, SAMPLE_DIR
from index.chroma_client import open_store
from index.embeddings import make_embeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles

SEED_POSITIVES = [
    "who controls Qairawan?",
    "Who leads the Badr Organization?",
    "How many Iraqis were killed in April?",
    "Who is the spokesman for Operation Inherent Resolve?",
    "How much of western Mosul does ISIS still hold?",
    "When did Iraqi troops regain control of eastern Mosul?",
    "What are the PMUs?",
    "Where is Tal Sufouq border crossing?",
]
SEED_NEGATIVES = [
    "What is the population of Baghdad?",
    "Who won the Super Bowl?",
    "What is the weather in Paris?",
    "What is the capital of Australia?",
    "How do I bake sourdough bread?",
    "Who is the president of Brazil?",
]


def top_relevance(retriever: ChunkRetriever, question: str) -> tuple[float, list[str]]:
    documents = retriever.invoke(question)
    if not documents:
        return -1.0, []
    return documents[0].metadata["relevance"], [d.page_content for d in documents]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=PROJECT_DIR.parent / "shared/bench/rtqa-dev")
    parser.add_argument("--store", type=Path, help="keep the bench index here between runs")
    args = parser.parse_args()

    embeddings = make_embeddings()
    scratch = Path(tempfile.mkdtemp(prefix="newsdesk-calibrate-"))
    bench_store = open_store("calibrate-bench", path=args.store or scratch / "bench")
    seed_store = open_store("calibrate-seed", path=scratch / "seed")

    def report(summary: object) -> None:
        print(f"  indexing: {summary}", file=sys.stderr)

    print(
        index_articles(
            load_paths([args.bench / "articles.jsonl.gz"]), bench_store, embeddings, report
        ).describe()
    )
    print(index_articles(load_paths([SAMPLE_DIR]), seed_store, embeddings).describe())
    bench_retriever = ChunkRetriever(store=bench_store, embeddings=embeddings, k=4)
    seed_retriever = ChunkRetriever(store=seed_store, embeddings=embeddings, k=4)

    questions = [json.loads(line) for line in (args.bench / "questions.jsonl").open()]
    positives: list[float] = []
    for q in questions:
        if not q["answer_in_corpus"]:
            continue
        score, passages = top_relevance(bench_retriever, q["question"])
        if any(q["answer"].lower() in p.lower() for p in passages):
            positives.append(score)
    positives += [top_relevance(seed_retriever, q)[0] for q in SEED_POSITIVES]
    negatives = [top_relevance(seed_retriever, q["question"])[0] for q in questions]
    negatives += [top_relevance(seed_retriever, q)[0] for q in SEED_NEGATIVES]

    def quantiles(values: list[float]) -> str:
        cuts = statistics.quantiles(values, n=20)
        named = zip(("p5", "p25", "p50", "p75", "p95"), (0, 4, 9, 14, 18), strict=True)
        return " ".join(f"{name}={cuts[i]:.3f}" for name, i in named)

    print(f"positives (should answer): {len(positives)}  {quantiles(positives)}")
    print(f"negatives (should refuse): {len(negatives)}  {quantiles(negatives)}")
    print("floor  kept-positives  refused-negatives  seed: Qairawan kept / Baghdad refused")
    best = (0.0, 0.0)
    for step in range(20, 71, 2):
        floor = step / 100
        kept = sum(score >= floor for score in positives) / len(positives)
        refused = sum(score < floor for score in negatives) / len(negatives)
        qairawan = top_relevance(seed_retriever, SEED_POSITIVES[0])[0] >= floor
        baghdad = top_relevance(seed_retriever, SEED_NEGATIVES[0])[0] < floor
        print(f"{floor:5.2f}  {kept:14.3f}  {refused:17.3f}  {qairawan} / {baghdad}")
        if kept + refused > best[1]:
            best = (floor, kept + refused)
    print(f"best floor by kept+refused: {best[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
