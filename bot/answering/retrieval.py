"""Hybrid retrieval as a LangChain retriever: Chroma vector search fused with BM25, weighted
toward recent reporting, each found chunk widened into a passage. The steps are the functions
of `retrieval_steps`, run here in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.answering import retrieval_steps as steps
from bot.answering.relevance import cosine, relevance
from bot.answering.time_window import TimeWindow
from index.chunking import join_chunks
from index.collections import Scope
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from index.text import content_words

# With a reranker, this many fused candidates are rescored before the top k are kept.
RERANK_CANDIDATES = 20

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
    keyword: steps.KeywordLookup | None = None
    k: int = 4
    candidates: int = steps.CANDIDATES
    dense_weight: float = steps.DENSE_WEIGHT
    keyword_weight: float = steps.KEYWORD_WEIGHT
    recency_weight: float = steps.RECENCY_WEIGHT
    reranker: Reranker | None = None
    neighbours: int = steps.NEIGHBOURS
    ledes: bool = steps.LEDES
    # Wire copies: one passage per story, the other outlets found named. `wire_copies` says
    # how a copy is told: "stories", grouped at index time (index/stories.py,
    # steps.one_per_indexed_story); "text", by the found chunks' shingles at question time
    # (steps.one_per_story); "both", either (the default: the fewest copies in the top 4 on
    # rtqa-dev, at the same Hit@k; BENCHMARKS.md, "Wire copies: stories at index time").
    # The outlets named are those among the chunks read (twice k): asking the store for
    # every article of the kept stories took 25 ms a question on rtqa-dev's 26,561 chunks
    # (Chroma scans its metadata for it), and would grow with the store.
    one_per_story: bool = True
    wire_copies: Literal["stories", "text", "both"] = "both"

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        as_of: date | None = None,
        window: TimeWindow | None = None,
        collections: Scope = None,
    ) -> list[Document]:
        """The `k` best passages (default `self.k`), as LangChain's own retrievers take it:
        `invoke(query, k=2)`. `as_of` is when the question is asked: today if not given.
        Given, passages published after it are left out before ranking (as they hadn't been
        written yet), so the k returned are all ones that had been. `window`: publication
        dates given explicitly (`hard`) are kept to, and recency then counts from the last of
        them. A span only the question's words name changes no ranking: ranking its reports
        first lost on both train sets (BENCHMARKS.md, "Time in questions"). `collections`:
        a chat's scope, kept to by both searches (None: every collection, no filter)."""
        k = self.k if k is None else k
        today = (as_of or date.today()).toordinal()
        hard = window if window is not None and window.hard else None
        if hard is not None and hard.until is not None:
            today = min(today, hard.until.toordinal())
        vector = self.embeddings.embed_query(query)
        keyword = self.keyword if self.keyword_weight else None
        found = steps.gather_candidates(
            self.store,
            keyword,
            query,
            vector,
            max(self.candidates, k),
            self.candidates,
            collections,
        )
        located = found.located
        published = {i: steps.day_number(place.published) for i, place in located.items()}
        if as_of is not None:
            located = steps.drop_future(located, published, as_of.toordinal())
        if hard is not None:
            located = steps.within(located, published, hard)
        fused = steps.fuse(
            [
                ([i for i in found.dense_ids if i in located], self.dense_weight),
                ([i for i in found.keyword_ids if i in located], self.keyword_weight),
            ]
        )
        if self.recency_weight:
            fused = steps.weight_recency(fused, published, today, self.recency_weight)
        keep = max(k, RERANK_CANDIDATES) if self.reranker else k
        # Twice as many read when copies of one story are left out, so k stay.
        wanted_chunks = keep * 2 if self.one_per_story else keep
        ranked = steps.space(steps.best_first(fused), located, wanted_chunks, self.neighbours)

        # Only the kept chunks are read whole, with their stored vectors: a keyword-only hit
        # gets its cosine similarity from its vector.
        wanted = content_words(query)
        documents = []
        for chunk, stored in self.store.get_with_vectors(ranked):
            cos = found.similarity.get(chunk.id)
            if cos is None:
                cos = cosine(vector, stored)
            score = relevance(cos, wanted, chunk.text)
            documents.append(steps.scored_document(chunk, cos, score, fused[chunk.id]))
        if self.one_per_story:
            documents = self._one_per_story(documents)
        documents = documents[:keep]
        if self.reranker:
            documents = self.reranker(query, documents)
        return self._widen(documents[:k])

    def _one_per_story(self, documents: list[Document]) -> list[Document]:
        """The best passage of each story, naming the outlets of the others."""
        if self.wire_copies in ("text", "both"):
            documents = steps.one_per_story(documents)
        if self.wire_copies in ("stories", "both"):
            documents = steps.one_per_indexed_story(documents)
        return documents

    def _widen(self, documents: list[Document]) -> list[Document]:
        """Each found chunk's document as the passage of it and its neighbours (after its
        article's lede), read by id from the keyword index's layout when it knows every found
        chunk, else by one query of the store."""
        found = [steps.chunk_of(document) for document in documents]
        reach, ledes = self.neighbours, self.ledes
        known = self.keyword.ids_around(found, reach, ledes) if self.keyword else None
        if known is not None:
            around = self.store.get_chunks(known)
        else:
            around = self.store.get_around(found, reach, ledes)
        widened = []
        passages = steps.widen(found, around, reach, ledes)
        for document, passage_chunks in zip(documents, passages, strict=True):
            ids = [chunk.id for chunk in passage_chunks]
            metadata = {**document.metadata, "passage_ids": ids}
            widened.append(Document(page_content=join_chunks(passage_chunks), metadata=metadata))
        return widened
