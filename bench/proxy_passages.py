"""Passages for a bench's questions without an embedded store: a stand-in for
bench/dump_passages.py when the bench's store is not built (embedding 10,000 articles takes
an hour or more on a loaded machine), for fitting the reader on the train weeks.

    .venv/bin/python -m bench.proxy_passages ../shared/bench/rtqa-train-2022 \
        --out /tmp/me/train-2022-proxy.jsonl

Each question's passages are found by BM25 over the bench's chunks (the indexer's own
chunking) published in the 60 days up to the question's date, weighted toward recent ones as
the retriever does (retrieval_steps.weight_recency), each widened to its neighbours and its
article's lede like the retriever's passages; the top 4 are given to the answerer. The lines
have dump_passages' format. Retrieval differs from the service's (no vectors, no fusion), so
the figures on these dumps are for fitting and comparing readers, not for reporting.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.retrieval_steps import RECENCY_DAYS, RECENCY_WEIGHT
from bot.evaluation.bench import read_articles, read_questions
from bot.settings import Settings
from bot.wiring.stores import sentence_embeddings
from index.chunking import Chunk, chunk_article, join_chunks
from index.embeddings import DEFAULT_BACKEND, make_embeddings
from index.text import terms

WINDOW_DAYS = 60
TOP = 4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    settings = Settings()
    retrieval = make_embeddings(
        settings.embedding_model, backend=DEFAULT_BACKEND, cache_dir=settings.models_dir
    )
    before = ExtractiveAnswerer(sentence_embeddings(settings, retrieval), reader=False)
    articles = read_articles(args.bench)
    chunks: list[Chunk] = []
    by_article: dict[str, list[Chunk]] = defaultdict(list)
    days: list[int] = []
    for article in articles:
        pieces = chunk_article(article)
        by_article[article.key] = pieces
        day = _day(article.published)
        for piece in pieces:
            chunks.append(piece)
            days.append(day)
    postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
    lengths = []
    for i, piece in enumerate(chunks):
        counts = Counter(terms(piece.text))
        lengths.append(sum(counts.values()))
        for term, count in counts.items():
            postings[term].append((i, count))
    average = sum(lengths) / len(lengths)
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    with args.out.open("w", encoding="utf-8") as out:
        for number, q in enumerate(questions, 1):
            asked = q.asked.toordinal() if q.asked else max(days)
            scores: dict[int, float] = defaultdict(float)
            for term in set(terms(q.question)):
                found = postings.get(term, [])
                idf = math.log(1 + (len(chunks) - len(found) + 0.5) / (len(found) + 0.5))
                for i, count in found:
                    if not asked - WINDOW_DAYS <= days[i] <= asked + 1:
                        continue
                    norm = count + 1.2 * (0.25 + 0.75 * lengths[i] / average)
                    scores[i] += idf * count * 2.2 / norm
            for i in scores:
                age = max(0, asked - days[i])
                scores[i] *= 1 + RECENCY_WEIGHT * math.exp(-age / RECENCY_DAYS)
            best = sorted(scores, key=lambda i: -scores[i])
            documents: list[Document] = []
            seen: set[tuple[str, int]] = set()
            for i in best:
                piece = chunks[i]
                if (piece.article_key, piece.position) in seen:
                    continue
                siblings = by_article[piece.article_key]
                places = {0, piece.position - 1, piece.position, piece.position + 1}
                kept = [c for c in siblings if c.position in places]
                seen.update((c.article_key, c.position) for c in kept)
                documents.append(_document(piece, join_chunks(kept)))
                if len(documents) == TOP:
                    break
            record = _record(q, documents, before)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if number % 100 == 0:
                print(f"{number}/{len(questions)}", flush=True)
    return 0


def _document(chunk: Chunk, text: str) -> Document:
    return Document(
        page_content=text,
        metadata={"id": chunk.id, "title": chunk.title, "published": chunk.published},
    )


def _record(q: Any, documents: list[Document], before: ExtractiveAnswerer) -> dict[str, Any]:
    answer = before(q.question, documents) if documents else None
    pool = before._pool(documents)
    ranked = before._rank(q.question, pool) if documents else []
    return {
        "id": q.id,
        "question": q.question,
        "understood_as": q.question,
        "date": q.asked.isoformat() if q.asked else None,
        "gold": q.answer,
        "passages": [
            {
                "id": str(d.metadata["id"]),
                "text": d.page_content,
                "title": d.metadata["title"],
                "published": d.metadata["published"],
                "relevance": None,
                "similarity": None,
                "given": True,
            }
            for d in documents
        ],
        "answer": answer.answer if answer else "",
        "short_answer": "",
        "refused": answer is None,
        "shortlist": [[c.document, c.sentence, c.score] for c in ranked],
    }


def _day(published: str) -> int:
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
