"""Every answerable question of a bench asked once through the real answering path, written as
one JSON line each, so that the reader can be studied and tuned offline in seconds:

    .venv/bin/python -m bench.dump_passages ../shared/bench/rtqa-dev --store /tmp/me/rtqa-dev \
        --out /tmp/me/dev.jsonl

--store is a folder made by `newsdesk eval --store` (a copy: this opens it like `newsdesk eval`
does). A line holds the question's id, text, date, gold answer, the question as understood
(after spelling correction), the top 10 passages (text, title, published, relevance for the
top k, similarity, and whether the answerer was given it), the answer the service gave, the
answer the extractive answerer gave before the reader (`reader=False`) on the same passages,
and its shortlisted sentences with their scores (a feature of the reader's). The lines hold
article text: keep them out of the repository (RealTime QA ships no licence).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bot.answering.extractive import ExtractiveAnswerer
from bot.evaluation.baseline import RETRIEVE_K
from bot.evaluation.bench import read_questions
from bot.settings import Settings
from bot.wiring.answering import build_answering
from index.chroma_client import open_store
from index.embeddings import DEFAULT_BACKEND, make_embeddings
from index.keyword import KeywordIndex


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    settings = Settings()
    backend = (
        DEFAULT_BACKEND if settings.embedding_backend == "auto" else settings.embedding_backend
    )
    embeddings = make_embeddings(
        settings.embedding_model, backend=backend, cache_dir=settings.models_dir
    )
    store = open_store("eval-bench", path=args.store / "chroma")
    keyword = KeywordIndex(args.store / "keyword")
    own = settings.model_copy(update={"home": args.out.with_suffix(".home"), "llm": None})
    service = build_answering(
        own, store=store, keyword=keyword, embeddings=embeddings, retrieve_k=RETRIEVE_K
    ).service
    answerer = service.setup.extractive
    assert isinstance(answerer, ExtractiveAnswerer)
    before = ExtractiveAnswerer(answerer.embeddings, reader=False)
    questions = [q for q in read_questions(args.bench, args.limit) if q.answer_in_corpus]
    started = time.perf_counter()
    with args.out.open("w", encoding="utf-8") as out:
        for number, q in enumerate(questions, 1):
            answer, documents = service.answer_with_passages(q.question, q.asked)
            top_k = service.setup.top_k
            given = {
                id(d)
                for d in documents[:top_k]
                if d.metadata.get("relevance", 0.0) >= service.setup.min_relevance
            }
            passages: list[dict[str, Any]] = [
                {
                    "id": str(d.metadata.get("id", "")),
                    "text": d.page_content,
                    "title": str(d.metadata.get("title", "")),
                    "published": str(d.metadata.get("published", "")),
                    "relevance": d.metadata.get("relevance"),
                    "similarity": d.metadata.get("similarity"),
                    "given": id(d) in given,
                }
                for d in documents[:10]
            ]
            shortlist: list[list[Any]] = []
            relevant = [d for d in documents if id(d) in given]
            if relevant:
                # The answerer's own sentence scores (private, a bench's look inside).
                pool = answerer._pool(relevant)
                for candidate in answerer._rank(answer.standalone, pool):
                    shortlist.append([candidate.document, candidate.sentence, candidate.score])
            record = {
                "id": q.id,
                "question": q.question,
                "understood_as": answer.standalone,
                "date": q.asked.isoformat() if q.asked else None,
                "gold": q.answer,
                "passages": passages,
                "answer": answer.answer,
                "short_answer": answer.short_answer,
                # The answerer as it was before the reader, on the same passages.
                "before": before(answer.standalone, relevant).answer if relevant else "",
                "refused": answer.refused,
                "shortlist": shortlist,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if number % 100 == 0:
                print(f"{number}/{len(questions)} in {time.perf_counter() - started:.0f} s")
    print(f"{len(questions)} questions written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
