"""What the answer chain costs over calling its steps directly, without an LLM: the same
questions on the seed article, through `AnswerService.answer` (the chain) and through the
retriever, the refusal floor and the extractive answerer called one after the other,
alternating, in one process, so both meet the same machine.

    .venv/bin/python -m bench.chain_overhead [--rounds 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.settings import SAMPLE_DIR, Settings
from bot.wiring.answering import build_answering
from index.ingest.loaders import load_paths
from index.pipeline import index_articles

QUESTIONS = [
    "who controls Qairawan?",
    "who leads the Badr Organization?",
    "what happened in Hadid?",
    "who is the mayor?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(_env_file=None, NEWSDESK_HOME=tempfile.mkdtemp())  # type: ignore[call-arg]
    answering = build_answering(settings)
    index_articles(
        load_paths([Path(SAMPLE_DIR)]),
        answering.store,
        answering.embeddings,
        keyword=answering.keyword.sync,
    )
    service = build_answering(settings).service
    floor, top_k = settings.min_relevance, settings.top_k

    def direct(question: str) -> object:
        documents = service.retriever.invoke(question)
        relevant = [d for d in documents[:top_k] if d.metadata["relevance"] >= floor]
        return service.setup.extractive(question, relevant) if relevant else None

    questions = QUESTIONS * args.repeat
    service.answer(questions[0])  # the model warmed up
    ways: list[tuple[str, Callable[[str], object]]] = [
        ("chain", service.answer),
        ("direct", direct),
    ]
    for _ in range(args.rounds):
        for name, ask in ways:
            started = time.perf_counter()
            for question in questions:
                ask(question)
            per_question = (time.perf_counter() - started) / len(questions) * 1000
            print(f"{name:<8}{per_question:8.0f} ms a question")


if __name__ == "__main__":
    main()
