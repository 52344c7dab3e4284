"""The Chroma collection that holds chunks, their embeddings and their articles' metadata.

Embeddings are always computed by us and passed in: the collection is created without an
embedding function, so Chroma's default one (which downloads a model) can never run.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.chunking import Chunk, places_around
from index.collections import collection_of
from index.embeddings import same_vectors
from index.errors import NewsdeskError
from index.records import (
    Overview,
    ScoredChunk,
    StoredArticle,
    chunk_from,
    chunk_metadata,
)
from index.story_queries import StoryQueries
from index.writer_lock import WAIT_SECONDS, WriterLock

log = logging.getLogger(__name__)
WRITE_BATCH = 512
# Whole-collection reads go page by page: one get() of a collection of more than about 32,000
# chunks fails in Chroma's SQLite layer with "too many SQL variables".
READ_PAGE = 5000


# Collection metadata: which embeddings made the stored vectors.
EMBEDDING_KEY = "newsdesk_embedding"
# Collection metadata: a stamp every write changes ("<count>-<random>"), so another process
# sharing the store (a Chroma server) notices any change, even one keeping every chunk id.
GENERATION_KEY = "newsdesk_generation"
# Collection metadata: set once every chunk carries its collection (index/scoping.py).
COLLECTIONS_KEY = "newsdesk_collections"


class StoreError(NewsdeskError):
    """The vector store can't be opened or used; the message says which store and why."""


class ArticleStore(StoryQueries):
    """Chunks in a Chroma collection, keyed by chunk id."""

    def __init__(
        self,
        collection: Any,
        description: str,
        reopen: Callable[[], Any] | None = None,
        *,
        reconnect: Callable[[], Any] | None = None,
        writer_lock: WriterLock | None = None,
    ) -> None:
        self._collection = collection
        self.description = description
        self.read_page = READ_PAGE
        # Fetches the collection again: its metadata (the generation) as stored now, not as
        # it was when this client opened it.
        self._reopen = reopen
        # An embedded store only: the collection through a new client, whose vector index is
        # read from disk afresh (see `refresh`).
        self._reconnect = reconnect
        self.writer_lock = writer_lock
        self.last_written_generation: str | None = None
        # Seen once that every chunk carries its collection (index/scoping.py): it stays so.
        self.collections_known = False
        # The generation this client's view of the vectors is as of.
        self._client_generation = self.generation() if reconnect is not None else ""
        # Indexing writes from two threads (chunks in the background, metadata in front).
        self._bump_lock = threading.Lock()
        # The last overview and the generation it was read at (`overview`).
        self._overview: tuple[str, Overview] | None = None

    def refresh(self) -> bool:
        """See what another process wrote since this client opened: a PersistentClient keeps
        the vector index it loaded, so another process's new chunks are missing from its
        searches and their vectors can't be read ("Error finding id") until a new client
        reads the index from disk. Opens one when the generation changed; returns whether it
        did. A Chroma server needs none: every client sees its current state."""
        if self._reconnect is None:
            return False
        generation = self.generation()
        if generation == self._client_generation:
            return False
        self._collection = self._reconnect()
        self._client_generation = generation
        log.info("%s was changed by another process: reopened it", self.description)
        return True

    @contextmanager
    def writing(
        self,
        waiting: Callable[[str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[None]:
        """Hold the store's writer lock for a whole indexing run (an embedded store; see
        index/writer_lock.py), first seeing what an earlier run of another process wrote;
        `stop` ends a wait for it (WaitStoppedError)."""
        if self.writer_lock is None:
            yield
            return
        with self.writer_lock.held(waiting, stop):
            self.refresh()
            yield

    def _fresh_metadata(self) -> dict[str, Any]:
        if self._reopen is not None:
            self._collection = self._reopen()
        return dict(self._collection.metadata or {})

    def stored_metadata(self) -> dict[str, Any]:
        """The collection's metadata as stored now (by any process)."""
        return self._fresh_metadata()

    def set_stored_metadata(self, key: str, value: str) -> None:
        """Record `key` in the collection's metadata, the rest kept."""
        metadata = {**self._fresh_metadata(), key: value}
        metadata.pop("hnsw:space", None)  # set at creation; Chroma refuses to change it
        self._collection.modify(metadata=metadata)

    def generation(self) -> str:
        """The stamp of the last write, by any process ("" before the first)."""
        return str(self._fresh_metadata().get(GENERATION_KEY, ""))

    def _bump_generation(self) -> None:
        """After a write: a new stamp, which another process compares with the one it saw.
        The count in it is for people reading it; the random part makes two processes that
        bump at once still write different stamps."""
        with self._bump_lock:
            metadata = self._fresh_metadata()
            metadata_before = str(metadata.get(GENERATION_KEY, ""))
            count = str(metadata.get(GENERATION_KEY, "0")).split("-")[0]
            stamp = f"{int(count) + 1 if count.isdigit() else 1}-{uuid.uuid4().hex[:12]}"
            metadata[GENERATION_KEY] = stamp
            metadata.pop("hnsw:space", None)  # set at creation; Chroma refuses to change it
            self._collection.modify(metadata=metadata)
            self.last_written_generation = stamp
            if self._client_generation == metadata_before:
                self._client_generation = stamp  # this client saw every write before its own

    def count(self) -> int:
        return int(self._collection.count())

    def recorded_embedding(self) -> str | None:
        """Which embeddings (model/backend) made the vectors here, if recorded: as stored now,
        since another process (an indexer) may have recorded it after this client opened."""
        value = self._fresh_metadata().get(EMBEDDING_KEY)
        return str(value) if value else None

    def embedding_record(self) -> tuple[str | None, int]:
        """The recorded embeddings, or None and how many chunks are stored without a record
        (0 when there is one: not counted, since a count costs a pass over the store, 30 ms
        at 173,000 chunks). The count before the record: a writer records its embeddings
        before its first chunk, so chunks counted here without a record read after are from
        before records (read the other way round, a replica starting beside an indexer's
        first write would take its chunks for chunks from before records). A record, once
        read, stays: none is ever removed."""
        recorded = self.recorded_embedding()
        if recorded is not None:
            return recorded, 0
        stored = self.count()
        return self.recorded_embedding(), stored

    def check_embedding(self, identity: str, *, record: bool = True) -> None:
        """Refuse vectors of another model or backend than those already stored (torch and
        ONNX fp32 make the same vectors, see `same_vectors`); with `record`, record
        `identity` on a store that has no record yet (a reader leaves that to the writers).
        A store from before the record holds torch vectors of whatever model it was built
        with, so it is recorded as torch."""
        recorded, stored = self.embedding_record()
        if recorded is None and stored > 0 and not identity.endswith("/torch"):
            recorded = identity.rsplit("/", 1)[0] + "/torch"
        if recorded is not None and not same_vectors(recorded, identity):
            model, backend = recorded.rsplit("/", 1)
            raise StoreError(
                f"{self.description} holds vectors of {recorded}, not {identity}, and the two "
                f"don't mix: set NEWSDESK_EMBEDDING_MODEL={model} and "
                f"NEWSDESK_EMBEDDING_BACKEND={backend}, or re-index into a new collection "
                f"(NEWSDESK_COLLECTION=another-name, then `newsdesk index` your sources)"
            )
        if record and self.recorded_embedding() is None:
            metadata = {**self._fresh_metadata(), EMBEDDING_KEY: recorded or identity}
            metadata.pop("hnsw:space", None)  # set at creation; Chroma refuses to change it
            self._collection.modify(metadata=metadata)

    def chunk_ids_by_article(self) -> dict[str, set[str]]:
        """Every stored chunk id, grouped by the article it came from."""
        return {key: state.chunk_ids for key, state in self.articles().items()}

    def has_article(self, key: str) -> bool:
        found = self._collection.get(where={"article": key}, limit=1, include=[])
        return bool(found["ids"])

    def articles(self, keys: Sequence[str] | None = None) -> dict[str, StoredArticle]:
        """Every stored article by key, with its chunk ids, origin and content hashes; with
        `keys`, only those articles (one query, however large the store)."""
        found: dict[str, StoredArticle] = defaultdict(StoredArticle)
        if keys is not None:
            if not keys:
                return {}
            result = self._collection.get(
                where={"article": {"$in": list(keys)}}, include=["metadatas"]
            )
            rows = list(zip(result["ids"], result["metadatas"] or [], strict=True))
        else:
            rows = self.all_metadata()
        for chunk_id, meta in rows:
            state = found[str(meta.get("article", ""))]
            state.origin = str(meta.get("origin", ""))
            state.chunk_ids.add(chunk_id)
            state.hashes.add(str(meta.get("article_hash", "")))
            state.collections.add(collection_of(meta))
            state.chunks_total = int(meta.get("chunks_total", 0))
            state.story = str(meta.get("story", "")) or state.story
            state.signature = str(meta.get("signature", "")) or state.signature
        return dict(found)

    def overview(self) -> Overview:
        """How many articles and chunks the store holds, and its newest and oldest
        publication dates ("" when nothing is dated). Kept until the store's generation
        changes: reading it reads every chunk's metadata (24 s at 173,000 chunks), and every
        /start, /help and the local chat's greeting ask for it (BENCHMARKS.md, "Start-up,
        memory and the keyword rebuild at scale")."""
        generation = self.generation()
        kept = self._overview
        if generation and kept is not None and kept[0] == generation:
            return kept[1]
        overview = self._read_overview()
        # Kept only if no write was stamped meanwhile (a write is stamped right after it, so
        # a read that overlapped one is read again at the next call).
        if generation and self.generation() == generation:
            self._overview = (generation, overview)
        return overview

    def _read_overview(self) -> Overview:
        articles: set[str] = set()
        dates: set[str] = set()
        count = 0
        for _, meta in self.all_metadata():
            count += 1
            articles.add(str(meta.get("article", "")))
            published = str(meta.get("published", ""))
            if published[:4].isdigit():
                dates.add(published)
        return Overview(
            articles=len(articles),
            chunks=count,
            latest_published=max(dates, default=""),
            earliest_published=min(dates, default=""),
        )

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for start in range(0, len(chunks), WRITE_BATCH):
            batch = chunks[start : start + WRITE_BATCH]
            self._collection.upsert(
                ids=[chunk.id for chunk in batch],
                embeddings=[list(vector) for vector in vectors[start : start + WRITE_BATCH]],
                documents=[chunk.text for chunk in batch],
                metadatas=[chunk_metadata(chunk) for chunk in batch],
            )
        if chunks:
            self._bump_generation()

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite the metadata of stored chunks, leaving their vectors as they are."""
        for start in range(0, len(chunks), WRITE_BATCH):
            batch = chunks[start : start + WRITE_BATCH]
            self._collection.update(
                ids=[chunk.id for chunk in batch], metadatas=[chunk_metadata(c) for c in batch]
            )
        if chunks:
            self._bump_generation()

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), WRITE_BATCH):
            self._collection.delete(ids=list(ids[start : start + WRITE_BATCH]))
        if ids:
            self._bump_generation()

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


def open_store(
    collection: str,
    *,
    path: Path | None = None,
    host: str | None = None,
    port: int = 8000,
    writer_wait_seconds: float = WAIT_SECONDS,
) -> ArticleStore:
    """An embedded Chroma under `path`, or the Chroma server at `host:port` when host is set.
    `writer_wait_seconds`: how long an indexing run waits for another process's run to
    finish writing to an embedded store (index/writer_lock.py)."""
    from index.chroma_client import connect

    return connect(collection, path, host, port, writer_wait_seconds)
