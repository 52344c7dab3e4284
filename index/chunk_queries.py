"""What the store answers of chunks: the nearest to a query vector, those with given ids
(with or without their vectors) or around given ones, and every chunk, page by page. A part
of `ArticleStore`, kept apart for its size."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from index.chunking import Chunk, places_around
from index.records import ScoredChunk, chunk_from

log = logging.getLogger(__name__)
# Whole-collection reads go page by page: one get() of a collection of more than about 32,000
# chunks fails in Chroma's SQLite layer with "too many SQL variables".
READ_PAGE = 5000


class ChunkQueries:
    """Mixed into `ArticleStore`, whose collection it reads."""

    _collection: Any
    description: str
    read_page: int

    def refresh(self) -> bool:
        """`ArticleStore.refresh`: a vector this client can't read may be read through a new
        one (`get_with_vectors`)."""
        raise NotImplementedError

    def search(self, query_vector: Sequence[float], k: int) -> list[ScoredChunk]:
        """The k chunks nearest to the query vector, most similar first (an empty store gives
        none: Chroma answers that itself, without a count on every question)."""
        if k <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(query_vector)],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        found = []
        for chunk_id, text, meta, distance in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            found.append(ScoredChunk(chunk_from(chunk_id, text, meta), 1.0 - float(distance)))
        return found

    def nearest(
        self, query_vector: Sequence[float], k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """The ids and cosine similarities of the k chunks nearest to the query vector, most
        similar first: `search` without reading the chunks, which is most of its cost (the
        metadata of 100 chunks takes five times as long as the vector search itself;
        BENCHMARKS.md, "A new machine, one text a run for fp32 too, and reading only what
        is kept"). `where`: a Chroma metadata filter (a chat's collections: index/scoping.py);
        None searches everything, as before."""
        if k <= 0:
            return []
        filtered = {"where": where} if where is not None else {}
        result = self._collection.query(
            query_embeddings=[list(query_vector)], n_results=k, include=["distances"], **filtered
        )
        return [
            (chunk_id, 1.0 - float(distance))
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def _read_all(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """The whole collection, `read_page` rows per get()."""
        offset = 0
        while True:
            page = self._collection.get(include=include, limit=self.read_page, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def all_ids(self) -> list[str]:
        return [chunk_id for page in self._read_all([]) for chunk_id in page["ids"]]

    def all_chunks(self) -> list[Chunk]:
        return [
            chunk_from(chunk_id, text, meta)
            for page in self._read_all(["documents", "metadatas"])
            for chunk_id, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            )
        ]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids, without their vectors; unknown ids are left out."""
        if not ids:
            return []
        result = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return [
            chunk_from(chunk_id, text, meta)
            for chunk_id, text, meta in zip(
                result["ids"], result["documents"], result["metadatas"], strict=True
            )
        ]

    def get_around(self, chunks: Sequence[Chunk], reach: int, ledes: bool = False) -> list[Chunk]:
        """The chunks within `reach` positions of the given ones in their articles (the given
        ones included), and with `ledes` each article's first chunk. One query: its filter
        may match a few more, which are left out."""
        wanted = places_around(chunks, reach, ledes)
        if not chunks or wanted == {(c.article_key, c.position) for c in chunks}:
            return list(chunks)
        articles = sorted({article for article, _ in wanted})
        positions = sorted({position for _, position in wanted})
        result = self._collection.get(
            where={"$and": [{"article": {"$in": articles}}, {"position": {"$in": positions}}]},
            include=["documents", "metadatas"],
        )
        found = [
            chunk_from(chunk_id, text, meta)
            for chunk_id, text, meta in zip(
                result["ids"], result["documents"], result["metadatas"], strict=True
            )
        ]
        return [chunk for chunk in found if (chunk.article_key, chunk.position) in wanted]

    def get_with_vectors(self, ids: Sequence[str]) -> list[tuple[Chunk, list[float]]]:
        """The chunks with these ids (unknown ids are left out) and their stored vectors.
        A chunk whose vector this client can't read (another process wrote it since: see
        `refresh`; or an earlier concurrent write lost it, which the next indexing run of
        its article repairs) is read again through a new client if the store changed, and
        otherwise left out: a question is answered from what can be read."""
        if not ids:
            return []
        try:
            result = self._get_with_vectors(ids)
        except Exception as error:
            if not is_unreadable_vector(error):
                raise
            if self.refresh():
                return self.get_with_vectors(ids)
            lost = self.unreadable(ids)
            readable = [chunk_id for chunk_id in ids if chunk_id not in lost]
            log.warning(
                "%d of %d chunks' vectors are unreadable in %s; left out (the next indexing run "
                "of their articles stores them again)",
                len(ids) - len(readable),
                len(ids),
                self.description,
            )
            result = self._get_with_vectors(readable) if readable else _NOTHING
        found = {
            chunk_id: (chunk_from(chunk_id, text, meta), [float(x) for x in vector])
            for chunk_id, text, meta, vector in zip(
                result["ids"],
                result["documents"],
                result["metadatas"],
                result["embeddings"],
                strict=True,
            )
        }
        return [found[chunk_id] for chunk_id in ids if chunk_id in found]

    def _get_with_vectors(self, ids: Sequence[str]) -> dict[str, Any]:
        result: dict[str, Any] = self._collection.get(
            ids=list(ids), include=["documents", "metadatas", "embeddings"]
        )
        return result

    def unreadable(self, ids: Sequence[str]) -> set[str]:
        """Those of these stored chunks whose vectors can't be read: one get() when all can,
        halves of the failing batch otherwise (Chroma fails a batch as a whole)."""
        if not ids:
            return set()
        try:
            self._collection.get(ids=list(ids), include=["embeddings"])
        except Exception as error:
            if not is_unreadable_vector(error):
                raise
            if len(ids) == 1:
                return set(ids)
            half = len(ids) // 2
            return self.unreadable(ids[:half]) | self.unreadable(ids[half:])
        return set()

    def all_metadata(self) -> list[tuple[str, dict[str, Any]]]:
        """Every chunk's id and metadata, without texts or vectors, page by page."""
        return [
            pair
            for page in self._read_all(["metadatas"])
            for pair in zip(page["ids"], page["metadatas"] or [], strict=True)
        ]


_NOTHING: dict[str, Any] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}


def is_unreadable_vector(error: Exception) -> bool:
    """Chroma's error for an id whose metadata is stored but whose vector its client's index
    doesn't hold."""
    return "Error finding id" in str(error)
