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
from typing import Any

from index.chunk_queries import READ_PAGE, ChunkQueries
from index.chunking import Chunk
from index.collections import collection_of
from index.embeddings import same_vectors
from index.errors import NewsdeskError
from index.records import Overview, StoredArticle, chunk_metadata
from index.story_queries import StoryQueries
from index.writer_lock import WriterLock

log = logging.getLogger(__name__)
WRITE_BATCH = 512

# Collection metadata: which embeddings made the stored vectors.
EMBEDDING_KEY = "newsdesk_embedding"
# Collection metadata: a stamp every write changes ("<count>-<random>"), so another process
# sharing the store (a Chroma server) notices any change, even one keeping every chunk id.
GENERATION_KEY = "newsdesk_generation"
# Collection metadata: set once every chunk carries its collection (index/scoping.py).
COLLECTIONS_KEY = "newsdesk_collections"


class StoreError(NewsdeskError):
    """The vector store can't be opened or used; the message says which store and why."""


class ArticleStore(StoryQueries, ChunkQueries):
    """Chunks in a Chroma collection, keyed by chunk id: its metadata, its writes and what it
    holds by article here; what it answers of chunks in `ChunkQueries` (index/chunk_queries.py)
    and of stories in `StoryQueries` (index/story_queries.py)."""

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
