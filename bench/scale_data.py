"""What bench/scale.py grows a store with: synthetic articles and their chunks, made from a
bench's real articles, and embeddings that are random unit vectors instead of the model's.

A synthetic article is a real article's text under a fresh key, url and publication date
(spread over 2010-2026), with another real article's headline from the second copy on, so
that the keyword index sees new title-and-text combinations and not only duplicates. Its
chunks are the real article's chunks (`chunk_article` runs once per real article), given the
new article's fields, with the id from `chunk_id` and the manifest hash from
`Article.content_hash`: the chunks `chunk_article` would make of the synthetic article
(`Synthesizer.check` asserts that), without chunking the same text again per copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from index.articles import Article
from index.chunking import Chunk, chunk_article, chunk_id
from index.embeddings import SentenceTransformerEmbeddings

DIMENSIONS = 384  # all-MiniLM-L6-v2's
FIRST_DAY = date(2010, 1, 1)
LAST_DAY = date(2026, 11, 30)
ORIGIN = "scale-bench"


class RandomEncoder:
    """sentence-transformers' `encode` as our embeddings wrapper calls it, giving each text a
    random unit vector from a generator seeded by the seed and the text: the same text gets
    the same vector in any batch and any run, and no model runs."""

    def __init__(self, seed: int, dimensions: int = DIMENSIONS) -> None:
        self.seed = seed
        self.dimensions = dimensions

    def encode(self, texts: Sequence[str], *args: Any, **kwargs: Any) -> np.ndarray[Any, Any]:
        vectors = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            digest = hashlib.blake2b(f"{self.seed}\x1f{text}".encode(), digest_size=8).digest()
            generator = np.random.default_rng(int.from_bytes(digest, "big"))
            vectors[row] = generator.standard_normal(self.dimensions)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors


class RandomEmbeddings(SentenceTransformerEmbeddings):
    """A LangChain `Embeddings` of random unit vectors (documents and queries alike),
    deterministic from `seed`. It is our wrapper over a `RandomEncoder`, so indexing takes it
    where it takes the model's. It claims the real model's `identity` (name and backend): the
    grown store then opens in the bot with the real model, which embeds the questions."""

    def __init__(self, seed: int, name: str, backend: str) -> None:
        super().__init__(RandomEncoder(seed), name, backend=backend)


class Synthesizer:
    """Synthetic article number n, and its chunks, for any n ≥ 0."""

    def __init__(self, articles: Sequence[Article]) -> None:
        pairs = [(article, chunk_article(article)) for article in articles]
        pairs = [(article, chunks) for article, chunks in pairs if chunks]
        self.articles = [article for article, _ in pairs]
        self.chunks = [chunks for _, chunks in pairs]
        self.chunks_per_article = sum(map(len, self.chunks)) / len(self.chunks)

    def article(self, number: int) -> Article:
        count = len(self.articles)
        real = self.articles[number % count]
        headline = real if number < count else self.articles[(number * 31 + 7) % count]
        span = (LAST_DAY - FIRST_DAY).days
        published = FIRST_DAY + timedelta(days=(number * 2654435761) % (span + 1))
        return Article(
            key=f"scale:{number}",
            title=headline.title,
            text=real.text,
            url=f"https://scale.example/{number}",
            source=real.source,
            published=published.isoformat(),
            origin=ORIGIN,
        )

    def chunks_of(self, number: int) -> list[Chunk]:
        article = self.article(number)
        content_hash = article.content_hash
        return [
            replace(
                chunk,
                id=chunk_id(article, chunk.position, chunk.text),
                article_key=article.key,
                title=article.title,
                url=article.url,
                source=article.source,
                published=article.published,
                origin=article.origin,
                article_hash=content_hash,
            )
            for chunk in self.chunks[number % len(self.chunks)]
        ]

    def check(self, numbers: Sequence[int]) -> None:
        """The chunks made here are the ones the indexing path would make."""
        for number in numbers:
            assert self.chunks_of(number) == chunk_article(self.article(number)), number
