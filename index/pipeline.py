"""article -> chunks -> embeddings -> store, embedding only chunks the store doesn't have yet."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from index.articles import Article, LoadProblem
from index.chunking import Chunk, chunk_article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.store import ArticleStore

EMBED_BATCH = 256


@dataclass
class IndexSummary:
    """What one indexing run did; shown to the operator at the end."""

    articles_read: int = 0
    chunks_added: int = 0
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    problems: list[LoadProblem] = field(default_factory=list)

    def describe(self) -> str:
        line = (
            f"{self.articles_read} articles read, {self.chunks_added} chunks added, "
            f"{self.chunks_unchanged} unchanged, {self.chunks_removed} removed, "
            f"{len(self.problems)} errors"
        )
        if self.articles_read and not self.chunks_added and not self.chunks_removed:
            line += " (index already up to date: nothing embedded)"
        return line


Progress = Callable[[IndexSummary], None]


class _Pending:
    """Chunks waiting to be embedded, flushed in batches for throughput."""

    def __init__(self, store: ArticleStore, embeddings: SentenceTransformerEmbeddings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.chunks: list[Chunk] = []

    def flush(self) -> int:
        if not self.chunks:
            return 0
        vectors = self.embeddings.embed_documents([c.embedding_text for c in self.chunks])
        self.store.add(self.chunks, vectors)
        added, self.chunks = len(self.chunks), []
        return added


def index_articles(
    loaded: Iterable[Article | LoadProblem],
    store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    progress: Progress | None = None,
    keyword: KeywordIndex | None = None,
) -> IndexSummary:
    """Index every article; problems are collected, never raised, so one bad file can't stop
    the batch. An article whose text changed has its old chunks removed after the new ones
    are stored, so a crash in between leaves extra chunks, never missing ones. The keyword
    index, if given, is brought in step with the store at the end."""
    summary = IndexSummary()
    stored = store.chunk_ids_by_article()
    pending = _Pending(store, embeddings)
    stale: list[str] = []
    seen: set[str] = set()
    for item in loaded:
        if isinstance(item, LoadProblem):
            summary.problems.append(item)
            continue
        if item.key in seen:
            summary.problems.append(
                LoadProblem(item.key, "same article read twice; kept the first")
            )
            continue
        seen.add(item.key)
        summary.articles_read += 1
        chunks = chunk_article(item)
        have = stored.get(item.key, set())
        new_ids = {chunk.id for chunk in chunks}
        fresh = [chunk for chunk in chunks if chunk.id not in have]
        summary.chunks_unchanged += len(chunks) - len(fresh)
        pending.chunks.extend(fresh)
        stale.extend(sorted(have - new_ids))
        if len(pending.chunks) >= EMBED_BATCH:
            summary.chunks_added += pending.flush()
            if progress:
                progress(summary)
    summary.chunks_added += pending.flush()
    store.delete(stale)
    summary.chunks_removed = len(stale)
    if keyword is not None:
        keyword.sync(store)
    if progress:
        progress(summary)
    return summary
