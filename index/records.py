"""What the store keeps of a chunk, as plain records: a chunk's metadata and back, an
article's manifest entry, a search hit, and the store's overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.chunking import Chunk
from index.collections import DEFAULT_COLLECTION, collection_of
from index.stories import story_day


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    similarity: float  # cosine similarity, -1..1


@dataclass
class StoredArticle:
    """What the store holds of one article: the manifest entry indexing compares against."""

    origin: str = ""
    chunk_ids: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    chunks_total: int = 0
    # Its story and signature (index/stories.py), as its chunks' metadata holds them.
    story: str = ""
    signature: str = ""
    # The collections its chunks are in: one, unless a move was cut short.
    collections: set[str] = field(default_factory=set)

    def is_complete(self, content_hash: str) -> bool:
        """All of this version's chunks are stored, and nothing of another version is."""
        return self.hashes == {content_hash} and len(self.chunk_ids) == self.chunks_total

    @property
    def collection(self) -> str:
        """The collection it is in (`main` if unknown)."""
        return min(self.collections, default=DEFAULT_COLLECTION)


@dataclass(frozen=True)
class Overview:
    articles: int
    chunks: int
    latest_published: str
    earliest_published: str = ""


# The `day` of an undated chunk: Chroma's metadata holds no None, and stories read a range of days.
NO_DAY = -1


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    day = story_day(chunk.published)
    metadata: dict[str, str | int] = {
        "article": chunk.article_key,
        "position": chunk.position,
        "title": chunk.title,
        "url": chunk.url,
        "source": chunk.source,
        "published": chunk.published,
        "origin": chunk.origin,
        "article_hash": chunk.article_hash,
        "chunks_total": chunk.chunks_total,
        "story": chunk.story,
        "day": NO_DAY if day is None else day,
        "collection": chunk.collection,
    }
    if chunk.signature:
        metadata["signature"] = chunk.signature
    return metadata


def chunk_from(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        article_key=str(meta.get("article", "")),
        position=int(meta.get("position", 0)),
        text=text,
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        source=str(meta.get("source", "")),
        published=str(meta.get("published", "")),
        origin=str(meta.get("origin", "")),
        article_hash=str(meta.get("article_hash", "")),
        chunks_total=int(meta.get("chunks_total", 0)),
        story=str(meta.get("story", "")),
        signature=str(meta.get("signature", "")),
        collection=collection_of(meta),
    )
