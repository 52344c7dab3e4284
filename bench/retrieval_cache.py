"""Gather every answerable question's retrieval candidates once, for ranking variants tried
offline in seconds (bench/rank_variants.py) instead of a retrieval run per variant.

Reads the store `newsdesk eval BENCH --store DIR` left in DIR (nothing is embedded but the
questions) and writes one gzipped pickle: per question, as the bot retrieves for it (the
question cleaned and spelled as the chain does, as of its date), the `DEPTH` nearest chunks
and `DEPTH` best BM25 matches, each with its ranks and scores in both lists, where it sits,
its date, title and text, and whether its passage (the chunk with its neighbours, after its
article's lede, as `ChunkRetriever` widens it) holds the gold answer string. The production
retriever's own first-hit rank is kept beside, to check the offline replay against it.

The cache holds article text: it stays in /tmp, never in the repository.

    .venv/bin/python -m bench.retrieval_cache --bench ../shared/bench/rtqa-dev \
        --store DIR --out /tmp/retrieval/cache/rtqa-dev.pkl.gz
"""

from __future__ import annotations

import argparse
import gzip
import pickle
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering import retrieval_steps as steps
from bot.answering.chain import clean_question
from bot.answering.service import AnswerService
from bot.evaluation.bench import Question, read_questions
from bot.evaluation.metrics import first_hit_rank
from bot.settings import Settings
from bot.wiring.answering import build_answering
from bot.wiring.stores import configured_embeddings
from index.chroma_client import open_store
from index.chunking import Chunk, join_chunks
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.store import ArticleStore
from index.text import terms

DEPTH = 200
# Pseudo-relevance feedback: the terms most frequent in the shipped retriever's top passages
# that the question lacks, added to the question for a third (BM25) list.
FEEDBACK_PASSAGES = 3
FEEDBACK_TERMS = 8


def feedback_terms(question: str, passages: list[str]) -> list[str]:
    """Terms in at least two of the passages and not in the question, most frequent first."""
    asked = set(terms(question))
    spread = Counter(t for text in passages for t in set(terms(text)) if t not in asked)
    total = Counter(t for text in passages for t in terms(text) if spread[t] > 1)
    return [t for t, _ in total.most_common(FEEDBACK_TERMS)]


@dataclass
class Candidate:
    id: str
    article_key: str
    position: int
    day: int | None
    title: str
    text: str
    dense_rank: int | None  # 1-based, in the vector search's list
    cosine: float | None
    keyword_rank: int | None
    bm25: float | None
    hit: bool  # its widened passage holds the gold answer string
    feedback_rank: int | None = None  # in the BM25 list of the question with feedback terms
    hit_wider: bool = False  # its passage with two neighbours a side holds it
    # Without its lede: the passage of a chunk whose lede is itself among the kept chunks.
    hit_without_lede: bool = False


@dataclass
class Asked:
    id: str
    question: str
    understood: str  # after spelling correction, what retrieval searched for
    answer: str
    as_of: int | None  # day number
    production_rank: int | None  # the shipped retriever's first hit, k = 10
    feedback_terms: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


def passages_hold(
    store: ArticleStore,
    keyword: KeywordIndex,
    chunks: list[Chunk],
    answer: str,
    reach: int = steps.NEIGHBOURS,
    ledes: bool = steps.LEDES,
) -> list[bool]:
    """For each chunk, whether its passage (alone, as if ranked first) holds the answer."""
    ids = keyword.search.ids_around(chunks, reach, ledes)
    around = store.get_chunks(ids) if ids is not None else store.get_around(chunks, reach, ledes)
    by_place = {(c.article_key, c.position): c for c in around}
    needle = answer.lower()
    held = []
    for chunk in chunks:
        parts = [chunk]
        for position in steps.passage_places(chunk, reach, ledes):
            part = by_place.get((chunk.article_key, position))
            if part and part.article_hash == chunk.article_hash:
                parts.append(part)
        held.append(needle in join_chunks(parts).lower())
    return held


def gather(
    q: Question,
    service: AnswerService,
    store: ArticleStore,
    keyword: KeywordIndex,
    embeddings: SentenceTransformerEmbeddings,
) -> Asked:
    setup = service.setup
    understood = clean_question(q.question, 10_000)
    if setup.spelling is not None:
        understood = setup.spelling(understood)
    found = setup.retriever.invoke(understood, as_of=q.asked)
    production = first_hit_rank(q.answer, [d.page_content for d in found])
    vector = embeddings.embed_query(understood)
    dense = store.nearest(vector, DEPTH)
    lexical = keyword.search.search(understood, DEPTH)
    extra = feedback_terms(understood, [d.page_content for d in found[:FEEDBACK_PASSAGES]])
    feedback = keyword.search.search(f"{understood} {' '.join(extra)}", DEPTH) if extra else []
    ids = list(dict.fromkeys(i for i, _ in [*dense, *lexical, *feedback]))
    chunks = {c.id: c for c in store.get_chunks(ids)}
    ordered = [chunks[i] for i in ids if i in chunks]
    held = passages_hold(store, keyword, ordered, q.answer)
    wider = passages_hold(store, keyword, ordered, q.answer, reach=2)
    no_lede = passages_hold(store, keyword, ordered, q.answer, ledes=False)
    dense_rank = {i: r for r, (i, _) in enumerate(dense, 1)}
    keyword_rank = {i: r for r, (i, _) in enumerate(lexical, 1)}
    feedback_rank = {i: r for r, (i, _) in enumerate(feedback, 1)}
    cos, bm25 = dict(dense), dict(lexical)
    asked = Asked(
        q.id,
        q.question,
        understood,
        q.answer,
        q.asked.toordinal() if q.asked else None,
        production,
        extra,
    )
    for chunk, hit, hit_wider, alone in zip(ordered, held, wider, no_lede, strict=True):
        asked.candidates.append(
            Candidate(
                chunk.id,
                chunk.article_key,
                chunk.position,
                steps.day_number(chunk.published),
                chunk.title,
                chunk.text,
                dense_rank.get(chunk.id),
                cos.get(chunk.id),
                keyword_rank.get(chunk.id),
                bm25.get(chunk.id),
                hit,
                feedback_rank.get(chunk.id),
                hit_wider,
                alone,
            )
        )
    return asked


def open_eval_store(
    settings: Settings, folder: Path
) -> tuple[ArticleStore, KeywordIndex, SentenceTransformerEmbeddings]:
    """The store, keyword index and embeddings `newsdesk eval BENCH --store DIR` left in DIR."""
    store = open_store("eval-bench", path=folder / "chroma")
    keyword = KeywordIndex(folder / "keyword")
    keyword.sync.catch_up(store)
    return store, keyword, configured_embeddings(settings, store)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument("--store", type=Path, required=True, help="the DIR given to eval --store")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    settings = Settings()
    store, keyword, embeddings = open_eval_store(settings, args.store)
    service = build_answering(
        settings, store=store, keyword=keyword, embeddings=embeddings, retrieve_k=10
    ).service
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    started = time.perf_counter()
    cache = []
    for number, q in enumerate(questions, 1):
        cache.append(gather(q, service, store, keyword, embeddings))
        if number % 100 == 0:
            print(f"{number}/{len(questions)} in {time.perf_counter() - started:.0f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wb") as out:
        pickle.dump({"bench": str(args.bench), "questions": cache}, out)
    print(f"{len(cache)} questions, {store.count():,} chunks -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
