"""The extractive answerer against its previous settings, on the same retrieved passages: each
question is retrieved for once, and every answerer answers from the same passages, so the
figures differ only by how sentences are chosen.

    .venv/bin/python -m bench.answerers ../shared/bench/rtqa-dev --store /tmp/nd/dev-store

--store is a folder made by `newsdesk eval --store` (its "eval-bench" collection, keyword
index and embedding backend). "before" is the answerer as it was until the sentence-type work:
sentences kept whole across line breaks, no answer-type bonus, questions not set apart, the
retrieval relevance formula, keep ratio 0.85. It also prints the questions that spelling
correction would rewrite. See BENCHMARKS.md, "The sentence that answers".
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.spelling import correct_spelling
from bot.evaluation.baseline import RETRIEVE_K
from bot.evaluation.bench import read_questions
from bot.evaluation.metrics import percentile
from bot.settings import Settings
from bot.wiring.answering import build_answering
from bot.wiring.stores import configured_embeddings
from index.chroma_client import open_store
from index.embeddings import bundled_words
from index.keyword import KeywordIndex

BEFORE: dict[str, Any] = {
    "type_bonus": 0.0,
    "split_lines": False,
    "follow_on": False,
    "question_penalty": 0.0,
    "lexical_weight": 0.5,
    "keep_ratio": 0.85,
}


@dataclass
class Tally:
    correct: int = 0
    cited: int = 0
    cited_right: int = 0
    lengths: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args()

    settings = Settings()
    store = open_store("eval-bench", path=args.store / "chroma")
    embeddings = configured_embeddings(settings, store)
    keyword = KeywordIndex(args.store / "keyword")
    own = settings.model_copy(update={"home": args.store / "home"})
    answering = build_answering(
        own, store=store, keyword=keyword, embeddings=embeddings, retrieve_k=RETRIEVE_K
    )
    service = answering.service
    answerers = {
        "before": ExtractiveAnswerer(embeddings, **BEFORE),
        "now": ExtractiveAnswerer(embeddings),
    }
    tallies = {name: Tally() for name in answerers}
    answerable = 0
    questions = read_questions(args.bench, None)
    respelled = [
        (q.question, fixed)
        for q in questions
        if (fixed := correct_spelling(q.question, keyword.vocabulary, bundled_words()))
        != q.question
    ]
    for q in questions:
        if not q.answer_in_corpus:
            continue
        answerable += 1
        documents = service.retriever.invoke(q.question, as_of=q.asked)
        relevant = [
            d
            for d in documents[: service.setup.top_k]
            if d.metadata["relevance"] >= service.setup.min_relevance
        ]
        if not relevant:
            continue
        by_id = {d.metadata["id"]: d.page_content.lower() for d in relevant}
        gold = q.answer.lower()
        for name, answerer in answerers.items():
            started = time.perf_counter()
            answer = answerer(q.question, relevant)
            tally = tallies[name]
            tally.seconds.append(time.perf_counter() - started)
            tally.correct += gold in answer.answer.lower()
            tally.lengths.append(len(answer.answer))
            for citation in answer.citations:
                tally.cited += 1
                tally.cited_right += gold in by_id.get(citation.chunk_id, "")
    print(
        f"bench {args.bench}: {answerable} answerable questions; embeddings {embeddings.identity}"
    )
    print(
        f"{'answerer':<10}{'accuracy':>10}{'citation precision':>22}{'length p50':>12}{'ms p50':>8}"
    )
    for name, t in tallies.items():
        precision = t.cited_right / t.cited if t.cited else 0.0
        print(
            f"{name:<10}{t.correct / answerable:>10.3f}"
            f"{f'{precision:.3f} ({t.cited_right}/{t.cited})':>22}"
            f"{percentile(t.lengths, 50):>12.0f}{percentile(t.seconds, 50) * 1000:>8.0f}"
        )
    print(f"spelling correction rewrites {len(respelled)} of {len(questions)} questions:")
    for asked, fixed in respelled:
        print(f"  {asked}\n  -> {fixed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
