"""Hybrid retrieval as a LangChain retriever: Chroma vector search fused with BM25."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.chunking import Chunk
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
CANDIDATES = 30
# With a reranker, this many fused candidates are rescored before the top k are kept.
RERANK_CANDIDATES = 20

Reranker = Callable[[str, list[Document]], list[Document]]


class ChunkRetriever(BaseRetriever):
    """The k best chunks for a question. Each Document's metadata carries the chunk's fields,
    its cosine `similarity` to the question, its `relevance` and its fused rank `score`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ArticleStore
    embeddings: SentenceTransformerEmbeddings
    keyword: KeywordIndex | None = None
    k: int = 4
    candidates: int = CANDIDATES
    dense_weight: float = DENSE_WEIGHT
    keyword_weight: float = KEYWORD_WEIGHT
    reranker: Reranker | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = self.embeddings.embed_query(query)
        dense = self.store.search(vector, max(self.candidates, self.k))
        chunks: dict[str, Chunk] = {hit.chunk.id: hit.chunk for hit in dense}
        similarity = {hit.chunk.id: hit.similarity for hit in dense}
        fused: dict[str, float] = {}
        for rank, hit in enumerate(dense, start=1):
            fused[hit.chunk.id] = self.dense_weight / (RRF_K + rank)

        keyword_hits = self._keyword_hits(query)
        for rank, (chunk_id, _) in enumerate(keyword_hits, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + self.keyword_weight / (RRF_K + rank)
        missing = [chunk_id for chunk_id, _ in keyword_hits if chunk_id not in chunks]
        for chunk, stored_vector in self.store.get_with_vectors(missing):
            chunks[chunk.id] = chunk
            similarity[chunk.id] = sum(q * v for q, v in zip(vector, stored_vector, strict=True))

        wanted = content_words(query)
        ranked = sorted((i for i in fused if i in chunks), key=lambda i: fused[i], reverse=True)
        documents = []
        keep = max(self.k, RERANK_CANDIDATES) if self.reranker else self.k
        for chunk_id in ranked[:keep]:
            chunk = chunks[chunk_id]
            relevance = similarity[chunk_id] + LEXICAL_WEIGHT * word_overlap(wanted, chunk.text)
            metadata = {
                **asdict(chunk),
                "similarity": similarity[chunk_id],
                "relevance": relevance,
                "score": fused[chunk_id],
            }
            documents.append(Document(page_content=chunk.text, metadata=metadata))
        if self.reranker:
            documents = self.reranker(query, documents)
        return documents[: self.k]

    def _keyword_hits(self, query: str) -> list[tuple[str, float]]:
        if self.keyword is None or self.keyword_weight == 0:
            return []
        if len(self.keyword.ids) != self.store.count():  # another process changed the store
            self.keyword.sync(self.store)
        return self.keyword.search(query, self.candidates)
