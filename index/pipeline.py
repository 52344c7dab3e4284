"""article -> chunks -> embeddings -> store, embedding only what the store doesn't have yet.

The manifest that makes re-indexing incremental is the Chroma collection itself, not a second
database: every chunk's metadata carries its article's key, origin, content hash and chunk
count (see index/store.py). We chose this over LangChain's `index()` with a SQL record manager
because a record manager is a second store that must be kept in step with Chroma: a crash
between the two writes, or a second machine writing to the same Chroma server, leaves them
disagreeing, and the record manager's hashes can't tell. With the manifest inside the chunk
records there is one source of truth, written in the same call as the vectors, so it can't
drift.

Crash safety follows from three rules. A chunk's id is derived from its content, so writing it
twice is harmless (upsert). An article counts as indexed only when exactly its current
version's chunks are all stored (`StoredArticle.is_complete`), so an article cut off half-way is
redone on the next run. Old chunks are deleted only after the new ones are stored, so a crash in
between leaves extra chunks that the next run removes, never missing ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from index.articles import Article, LoadProblem
from index.backfill import backfill_stories
from index.chunking import Chunk, chunk_article
from index.collections import DEFAULT_COLLECTION
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordSync
from index.records import StoredArticle
from index.scoping import record_collections
from index.store import ArticleStore
from index.stories import Stories, signature
from index.writer_lock import WaitStoppedError

# Chunks per embedding call: large enough that sentence-transformers' length sorting keeps
# padding low, small enough that progress shows and a crash loses little work.
EMBED_BATCH = 512
# Articles looked up one by one before the whole manifest is read instead: a lookup costs a
# few milliseconds, the whole read of 26,000 chunks about a second.
MANIFEST_LOOKUPS = 200
# Unchanged chunks checked together, and which of them have their vectors read (`_VectorCheck`).
VECTOR_CHECK_BATCH = 2000
VECTOR_SAMPLE = 16


@dataclass
class IndexSummary:
    """What one indexing run did; shown to the operator at the end."""

    articles_read: int = 0
    articles_new: int = 0
    articles_changed: int = 0
    articles_unchanged: int = 0
    articles_removed: int = 0
    chunks_added: int = 0
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    chunks_repaired: int = 0  # stored chunks whose vectors were unreadable, embedded again
    # Articles stored before stories existed, given theirs once (index/backfill.py).
    stories_backfilled: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    added_titles: list[str] = field(default_factory=list)
    # The keys of the articles new in this run, for pushing them to those who follow their
    # story (bot/telegram/follows.py).
    added_keys: list[str] = field(default_factory=list)
    # While another process's run holds the store's writer lock: the line saying so.
    waiting: str = ""
    # Asked to stop (the bot shutting down): what was stored is kept, nothing was pruned,
    # and running it again carries on where it stopped.
    interrupted: bool = False

    def describe(self) -> str:
        repaired = (
            f" ({self.chunks_repaired} of them stored before, their vectors lost)"
            if self.chunks_repaired
            else ""
        )
        line = (
            f"{self.articles_read} articles read ({self.articles_new} new, "
            f"{self.articles_changed} changed, {self.articles_unchanged} unchanged), "
            f"{self.chunks_added} chunks added{repaired}, {self.chunks_unchanged} unchanged, "
            f"{self.chunks_removed} removed"
        )
        if self.articles_removed:
            line += f", {self.articles_removed} articles pruned"
        if self.stories_backfilled:
            line += f", stories given to {self.stories_backfilled} articles indexed before them"
        line += f", {len(self.problems)} errors"
        if self.interrupted:
            line += " (stopped before the end: shutting down)"
        elif not self.chunks_added and not self.chunks_removed:
            up_to_date = "" if self.problems else "index already up to date: "
            line += f" ({up_to_date}nothing embedded)"
        return line


Progress = Callable[[IndexSummary], None]
# Given a stored article's origin, whether it may be removed when this run didn't read it.
PrunePolicy = Callable[[str], bool]
# Whether the run should stop now, after the batch being written (checked between articles).
StopAsked = Callable[[], bool]


class _Pending:
    """Chunks waiting to be embedded, flushed in batches for throughput. Each batch is written
    to Chroma on a background thread while the next one is embedded; writes stay in order,
    and `wait` returns once the last one is stored (or raises its error)."""

    def __init__(self, store: ArticleStore, embeddings: SentenceTransformerEmbeddings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.chunks: list[Chunk] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-writer")
        self._writing: Future[None] | None = None

    def flush(self) -> int:
        if not self.chunks:
            return 0
        batch, self.chunks = self.chunks, []
        vectors = self.embeddings.embed_documents([c.embedding_text for c in batch])
        self.wait()
        self._writing = self._writer.submit(self.store.add, batch, vectors)
        return len(batch)

    def wait(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def drop(self) -> set[str]:
        """Forget the chunks not embedded yet (a stopped run); returns their ids."""
        dropped, self.chunks = {chunk.id for chunk in self.chunks}, []
        return dropped

    def close(self) -> None:
        self._writer.shutdown(wait=True)


class _Manifest:
    """The store's manifest entries of the articles an indexing run reads: read whole at the
    start, or article by article until MANIFEST_LOOKUPS, then whole."""

    def __init__(self, store: ArticleStore, *, whole: bool) -> None:
        self._store = store
        self._all: dict[str, StoredArticle] | None = store.articles() if whole else None
        self._lookups = 0

    def get(self, key: str) -> StoredArticle | None:
        if self._all is None:
            self._lookups += 1
            if self._lookups <= MANIFEST_LOOKUPS:
                return self._store.articles([key]).get(key)
            self._all = self._store.articles()
        return self._all.get(key)

    def everything(self) -> dict[str, StoredArticle]:
        if self._all is None:
            self._all = self._store.articles()
        return self._all


class _VectorCheck:
    """Whether the vectors of articles found unchanged can be read. A store written by two
    processes at once before the writer lock kept chunks whose vectors were lost, and their
    articles looked complete from their metadata, so a re-run left them unreadable for good.
    Per VECTOR_CHECK_BATCH chunks, one get() of every VECTOR_SAMPLE-th one's vector, and of
    all of them only if one of those can't be read: such a write lost whole batches of 512
    chunks, which a sample of one in 16 can't miss, and reading every vector would double an
    unchanged re-index (BENCHMARKS.md, "Concurrent writers")."""

    def __init__(self, store: ArticleStore) -> None:
        self._store = store
        self._waiting: list[tuple[Article, StoredArticle]] = []
        self._ids = 0

    def add(self, article: Article, stored: StoredArticle) -> list[Chunk]:
        """Queue an unchanged article's chunks; when a batch is full, the chunks of the
        queued articles whose vectors can't be read (with the story they are stored in)."""
        self._waiting.append((article, stored))
        self._ids += len(stored.chunk_ids)
        return self.finish() if self._ids >= VECTOR_CHECK_BATCH else []

    def finish(self) -> list[Chunk]:
        waiting, self._waiting, self._ids = self._waiting, [], 0
        ids = sorted({chunk_id for _, stored in waiting for chunk_id in stored.chunk_ids})
        if not self._store.unreadable(ids[::VECTOR_SAMPLE]):
            return []
        lost = self._store.unreadable(ids)
        return [
            chunk
            for article, stored in waiting
            if stored.chunk_ids & lost
            for chunk in chunk_article(article, stored.story, stored.signature)
            if chunk.id in lost
        ]


def _repair(lost: list[Chunk], pending: _Pending, summary: IndexSummary) -> None:
    """Embed and store again the chunks whose vectors were unreadable."""
    pending.chunks.extend(lost)
    summary.chunks_repaired += len(lost)
    summary.chunks_unchanged -= len(lost)


def in_collection(article: Article, before: StoredArticle | None) -> Article:
    """The article with the collection it goes into: the one it names, else the one it is
    stored in (a re-index without --collection, /reindex, a feed poll moves nothing), else
    `main`."""
    collection = article.collection or (before.collection if before else DEFAULT_COLLECTION)
    return article if article.collection == collection else replace(article, collection=collection)


def _unchanged(before: StoredArticle, article: Article) -> bool:
    """Stored whole, as this version, in the collection it goes into."""
    return before.is_complete(article.content_hash) and before.collections == {article.collection}


def index_articles(
    loaded: Iterable[Article | LoadProblem],
    store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    progress: Progress | None = None,
    keyword: KeywordSync | None = None,
    prune: PrunePolicy | None = None,
    stop: StopAsked | None = None,
) -> IndexSummary:
    """Index every article; problems are collected, never raised, so one bad file can't stop
    the batch. With `prune`, stored articles this run didn't read are removed when the policy
    says their origin is gone, except those whose file or URL failed to load this time:
    nothing is lost to a read error. The keyword index, if given, is brought in step with the
    store at the end. The whole run holds the store's writer lock (index/writer_lock.py): a
    run of another process meanwhile waits, and `progress` sees `summary.waiting` say so.
    Once `stop()` is true the run ends early, `interrupted` (see `_index`)."""
    summary = IndexSummary()

    def waiting(line: str) -> None:
        summary.waiting = line
        if progress:
            progress(summary)

    try:
        with store.writing(waiting, stop):
            summary.waiting = ""
            record_collections(store)  # once, on a store from before collections
            return _index(loaded, store, embeddings, progress, keyword, prune, stop, summary)
    except WaitStoppedError:
        summary.interrupted = True
        return summary


def _index(
    loaded: Iterable[Article | LoadProblem],
    store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    progress: Progress | None,
    keyword: KeywordSync | None,
    prune: PrunePolicy | None,
    stop: StopAsked | None,
    summary: IndexSummary,
) -> IndexSummary:
    """The run. Stopped early, it lets the batch being written commit and drops the chunks
    not embedded yet: their articles are incomplete, so the next run redoes them
    (`StoredArticle.is_complete`). It deletes nothing, since old chunks go only after their
    replacements are stored and pruning needs every source read, and it gives the keyword
    index the chunks that were stored."""
    # Pruning compares against every stored article; without it, each article read is looked
    # up on its own, so a feed poll adding 10 articles reads 10 manifest entries, not the
    # whole store's (BENCHMARKS.md, "Scale"). Past MANIFEST_LOOKUPS the whole read is cheaper.
    summary.stories_backfilled = backfill_stories(store)
    stored = _Manifest(store, whole=prune is not None)
    stories = Stories(store)
    if keyword is not None:
        keyword.begin_changes(store)
    pending = _Pending(store, embeddings)
    check = _VectorCheck(store)
    added: list[Chunk] = []  # for the keyword index, applied once at the end
    stale: list[str] = []
    seen: set[str] = set()
    failed_origins: set[str] = set()
    try:
        for item in loaded:
            if progress:  # before each article, so skipped and unchanged ones count too
                progress(summary)
            if stop is not None and stop():
                summary.interrupted = True
                break
            if isinstance(item, LoadProblem):
                summary.problems.append(item)
                failed_origins.add(item.origin)
                continue
            if item.key in seen:
                summary.problems.append(
                    LoadProblem(item.key, "same article read twice; kept the first", item.origin)
                )
                continue
            seen.add(item.key)
            summary.articles_read += 1
            before = stored.get(item.key)
            item = in_collection(item, before)
            if before is not None and _unchanged(before, item):
                summary.articles_unchanged += 1
                summary.chunks_unchanged += len(before.chunk_ids)
                _repair(check.add(item, before), pending, summary)
                continue  # nothing to chunk or embed, unless its vectors were lost
            # Its story among the articles of the days around it, stored or of this run.
            hex_signature = signature(item.text)
            chunks = chunk_article(
                item,
                stories.assign(item.key, item.published, hex_signature, item.source),
                hex_signature,
            )
            have = before.chunk_ids if before else set()
            fresh = [chunk for chunk in chunks if chunk.id not in have]
            obsolete = have - {chunk.id for chunk in chunks}
            if before is None:
                summary.articles_new += 1
                summary.added_titles.append(item.title)
                summary.added_keys.append(item.key)
            elif fresh or obsolete or before.collections != {item.collection}:
                summary.articles_changed += 1
            else:  # same text, stored by an older version without the manifest fields
                summary.articles_unchanged += 1
            summary.chunks_unchanged += len(chunks) - len(fresh)
            # Chunks already stored keep their vectors; only their manifest fields are refreshed.
            kept = [chunk for chunk in chunks if chunk.id in have]
            store.update_metadata(kept)
            if before is not None and before.collections != {item.collection}:
                added.extend(kept)  # moved: the keyword index files them under the new one
            pending.chunks.extend(fresh)
            added.extend(fresh)
            stale.extend(sorted(obsolete))
            if len(pending.chunks) >= EMBED_BATCH:
                summary.chunks_added += pending.flush()
        if summary.interrupted:
            unstored = pending.drop()
            added = [chunk for chunk in added if chunk.id not in unstored]
            stale = []
        else:
            _repair(check.finish(), pending, summary)
            summary.chunks_added += pending.flush()
        pending.wait()
    finally:
        pending.close()
    if prune is not None and not summary.interrupted:
        for key, state in stored.everything().items():
            if key not in seen and state.origin not in failed_origins and prune(state.origin):
                stale.extend(sorted(state.chunk_ids))
                summary.articles_removed += 1
    store.delete(stale)
    summary.chunks_removed = len(stale)
    if keyword is not None:
        keyword.apply(added, stale)
        if keyword.folder.count() != store.count():  # it was behind before this run
            keyword.catch_up(store)
    if progress:
        progress(summary)
    return summary
