"""Hybrid retrieval as a LangChain retriever: Chroma vector search fused with BM25."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict
from datetime import date

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.chunking import Chunk, join_chunks
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.store import ArticleStore
from index.text import content_words, word_overlap

# Relevance, for the refusal floor = cosine similarity + LEXICAL_WEIGHT * (share of the
# question's words in the passage). The embedding alone blurs names: against the seed article
# "population of Baghdad" scores higher (0.41, via "al-Baghdadi") than "who controls
# Qairawan" (0.30), which names a place the article reports on. Calibrated in
# bench/calibrate_floor.py; see BENCHMARKS.md.
LEXICAL_WEIGHT = 0.5
# Reciprocal-rank fusion (score = sum of weight / (RRF_K + rank)) of the two candidate lists;
# the weights and list lengths were chosen on the dev bench (BENCHMARKS.md).
RRF_K = 60
DENSE_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
CANDIDATES = 100
# News questions are mostly about recent events: a passage published `age` days before the
# question has its fused score multiplied by 1 + RECENCY_WEIGHT * exp(-age / RECENCY_DAYS).
# Multiplied, not added: a fresh passage that only one retriever found, far down its list,
# can't overtake the one both rank first (an added bonus let any fresh candidate do that).
# Chosen on the dev bench by bench/tune_retrieval.py; see BENCHMARKS.md.
RECENCY_WEIGHT = 1.0
RECENCY_DAYS = 10.0
# Asked "as of" a past date, passages published after it didn't exist yet; one day of slack
# covers time zones.
FUTURE_SLACK_DAYS = 1
# With a reranker, this many fused candidates are rescored before the top k are kept.
RERANK_CANDIDATES = 20
# Small to big: chunks are ranked, but each is returned with this many chunks on either side of
# it in its article, as one passage. A chunk is sized for a precise embedding; the reader and the
# answerer need the sentences around it (the found chunk often sets the scene and the next one
# names who or what). A chunk inside a better one's passage is skipped, and a neighbour already
# shown isn't repeated, so passages never overlap. Chosen on the dev bench (BENCHMARKS.md):
# Hit@4 0.62 -> 0.67 with passages of about 1.4 kB; two neighbours a side add little more.
NEIGHBOURS = 1
# A news article says who, what and where in its first paragraph (the lede); a passage from
# further down often says only "he" or "the city". So a passage that doesn't start at the top of
# its article is shown after the article's first chunk, unless a better passage already has it.
# Chosen on the dev bench (BENCHMARKS.md): Hit@1 0.495 -> 0.500, Hit@10 0.737 -> 0.753, Hit@4
# the same, with passages of about 1.6 kB instead of 1.4.
LEDES = True

Reranker = Callable[[str, list[Document]], list[Document]]


class ChunkRetriever(BaseRetriever):
    """The k best passages for a question: the best chunks, each with its `neighbours` on
    either side, after its article's lede (first chunk) if `ledes`. Each Document's metadata
    carries the found chunk's fields (its `text` is that chunk's alone), its cosine
    `similarity` to the question, its `relevance`, its fused rank `score`, and `passage_ids`,
    the chunks the passage is made of, in order."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ArticleStore
    embeddings: SentenceTransformerEmbeddings
    keyword: KeywordIndex | None = None
    k: int = 4
    candidates: int = CANDIDATES
    dense_weight: float = DENSE_WEIGHT
    keyword_weight: float = KEYWORD_WEIGHT
    recency_weight: float = RECENCY_WEIGHT
    reranker: Reranker | None = None
    neighbours: int = NEIGHBOURS
    ledes: bool = LEDES

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        as_of: date | None = None,
    ) -> list[Document]:
        """`as_of` is when the question is asked: today if not given. Given, passages
        published after it are left out, as they hadn't been written yet."""
        today = (as_of or date.today()).toordinal()
        vector = self.embeddings.embed_query(query)
        dense = self.store.search(vector, max(self.candidates, self.k))
        chunks: dict[str, Chunk] = {hit.chunk.id: hit.chunk for hit in dense}
        similarity = {hit.chunk.id: hit.similarity for hit in dense}
        keyword_hits = self._keyword_hits(query)
        missing = [chunk_id for chunk_id, _ in keyword_hits if chunk_id not in chunks]
        chunks.update((chunk.id, chunk) for chunk in self.store.get_chunks(missing))

        published = {chunk_id: _day(chunk.published) for chunk_id, chunk in chunks.items()}
        if as_of is not None:
            latest = today + FUTURE_SLACK_DAYS
            chunks = {i: c for i, c in chunks.items() if (published[i] or 0) <= latest}
        fused: dict[str, float] = {}
        dense_ids = [hit.chunk.id for hit in dense if hit.chunk.id in chunks]
        for rank, chunk_id in enumerate(dense_ids, start=1):
            fused[chunk_id] = self.dense_weight / (RRF_K + rank)
        keyword_ids = [chunk_id for chunk_id, _ in keyword_hits if chunk_id in chunks]
        for rank, chunk_id in enumerate(keyword_ids, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + self.keyword_weight / (RRF_K + rank)
        if self.recency_weight:
            for chunk_id in fused:
                day = published[chunk_id]
                if day is not None:
                    age = max(0, today - day)
                    fused[chunk_id] *= 1 + self.recency_weight * math.exp(-age / RECENCY_DAYS)

        keep = max(self.k, RERANK_CANDIDATES) if self.reranker else self.k
        ranked = self._spaced(sorted(fused, key=lambda i: fused[i], reverse=True), chunks, keep)
        # Keyword-only hits get their cosine similarity from their stored vectors; fetched
        # only for the few kept, since that read is the slow part.
        unscored = [chunk_id for chunk_id in ranked if chunk_id not in similarity]
        for chunk_id, stored in self.store.get_vectors(unscored).items():
            similarity[chunk_id] = sum(q * v for q, v in zip(vector, stored, strict=True))
        wanted = content_words(query)
        documents = []
        for chunk_id in ranked:
            chunk = chunks[chunk_id]
            cosine = similarity.get(chunk_id, 0.0)
            relevance = cosine + LEXICAL_WEIGHT * word_overlap(wanted, chunk.text)
            metadata = {
                **asdict(chunk),
                "similarity": cosine,
                "relevance": relevance,
                "score": fused[chunk_id],
            }
            documents.append(Document(page_content=chunk.text, metadata=metadata))
        if self.reranker:
            documents = self.reranker(query, documents)
        return self._widen(documents[: self.k])

    def _spaced(self, ranked: list[str], chunks: dict[str, Chunk], keep: int) -> list[str]:
        """The first `keep` chunk ids, skipping any that a better one's passage includes."""
        taken: dict[str, list[int]] = {}
        kept: list[str] = []
        for chunk_id in ranked:
            if len(kept) == keep:
                break
            chunk = chunks[chunk_id]
            near = taken.setdefault(chunk.article_key, [])
            if any(abs(chunk.position - p) <= self.neighbours for p in near):
                continue
            near.append(chunk.position)
            kept.append(chunk_id)
        return kept

    def _widen(self, documents: list[Document]) -> list[Document]:
        """Each found chunk's document as the passage of it and its neighbours (after its
        article's lede)."""
        found = [self._chunk_of(document) for document in documents]
        reach, ledes = self.neighbours, self.ledes
        known = self.keyword.ids_around(found, reach, ledes) if self.keyword else None
        if known is not None:  # ids from the keyword index's layout: a fast read by id
            around = self.store.get_chunks(known)
        else:
            around = self.store.get_around(found, reach, ledes)
        by_place = {(chunk.article_key, chunk.position): chunk for chunk in around}
        used: set[str] = {chunk.id for chunk in found}
        widened = []
        for document, chunk in zip(documents, found, strict=True):
            # A chunk already in a better passage (or found itself) isn't repeated, and only
            # chunks of the same version of the article are joined.
            offsets = range(-reach, reach + 1)
            places = [chunk.position + offset for offset in offsets if offset]
            if ledes and chunk.position - reach > 0:
                places.insert(0, 0)
            parts = [chunk]
            for position in places:
                part = by_place.get((chunk.article_key, position))
                if part and part.id not in used and part.article_hash == chunk.article_hash:
                    used.add(part.id)
                    parts.append(part)
            parts.sort(key=lambda part: part.position)
            metadata = {**document.metadata, "passage_ids": [part.id for part in parts]}
            widened.append(Document(page_content=join_chunks(parts), metadata=metadata))
        return widened

    @staticmethod
    def _chunk_of(document: Document) -> Chunk:
        fields = {name: document.metadata[name] for name in Chunk.__dataclass_fields__}
        return Chunk(**fields)

    def _keyword_hits(self, query: str) -> list[tuple[str, float]]:
        if self.keyword is None or self.keyword_weight == 0:
            return []
        changed = len(self.keyword.ids) != self.store.count()
        if changed and not self.keyword.updating:  # another process changed the store
            self.keyword.sync(self.store)
        return self.keyword.search(query, self.candidates)


def _day(published: str) -> int | None:
    """The date as a day number, for ISO dates (what the loaders normalize to)."""
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None
