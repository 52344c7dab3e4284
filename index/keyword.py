"""BM25 over the chunks, kept on disk beside the Chroma data and in step with it, with where
each chunk sits in its article (so a passage's neighbouring chunks are found without a query).

Chroma is the source of truth. The keyword index records a fingerprint of the chunk ids it was
built from; `sync` rebuilds it from the store's own text whenever that differs from the
store's ids. It is called when the parts are built, at the end of every indexing run, and by
the bot's periodic refresh (another process may change the store), never while answering a
question: a question reads the index as it is. Rebuilding is seconds at the bench's size (see
BENCHMARKS.md, "Indexing speed"), so no incremental bookkeeping can drift.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.chunking import places_around
from index.store import ArticleStore
from index.text import terms

if TYPE_CHECKING:
    from index.chunking import Chunk

log = logging.getLogger(__name__)
IDS_FILE = "chunk_ids.json"
Place = tuple[str, int]  # (article key, position in the article)


def ids_fingerprint(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


class KeywordIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over each chunk's title and text."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Replaced as one tuple, so a search running while the bot re-indexes in another
        # thread sees the old index or the new one, never ids of one with scores of the other.
        self._state: tuple[list[str], str, object | None, dict[Place, str]] = (
            [],
            ids_fingerprint([]),
            None,
            {},
        )
        self._load()

    def _load(self) -> None:
        ids_file = self.folder / IDS_FILE
        if not ids_file.exists():
            return
        try:
            import bm25s

            saved = json.loads(ids_file.read_text())
            if "ids" in saved and "places" not in saved:
                log.info("keyword index at %s is from an older version; rebuilding", self.folder)
                return
            places = [(str(article), int(position)) for article, position in saved["places"]]
            if len(places) != len(saved["ids"]):
                raise ValueError("places and ids differ in length")
            bm25 = bm25s.BM25.load(str(self.folder), show_progress=False) if saved["ids"] else None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning(
                "keyword index at %s is unreadable (%s); it will be rebuilt", self.folder, error
            )
            return
        layout = dict(zip(places, saved["ids"], strict=True))
        self._state = (saved["ids"], saved["fingerprint"], bm25, layout)

    @property
    def ids(self) -> list[str]:
        return self._state[0]

    @property
    def built_from(self) -> str:
        """The fingerprint of the chunk ids this index was built from."""
        return self._state[1]

    def sync(self, store: ArticleStore) -> bool:
        """Rebuild from the store if out of step; returns whether it rebuilt."""
        ids = store.all_ids()
        if len(ids) == len(self.ids) and ids_fingerprint(ids) == self.built_from:
            return False
        chunks = store.all_chunks()
        self.rebuild(
            [c.id for c in chunks],
            [c.embedding_text for c in chunks],
            [(c.article_key, c.position) for c in chunks],
        )
        return True

    def rebuild(self, ids: list[str], texts: list[str], places: list[Place]) -> None:
        import bm25s

        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index([terms(text) or ["\x00"] for text in texts], show_progress=False)
        # Write a complete new folder, then swap it in: a crash leaves the old index or none.
        staging = self.folder.with_name(self.folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if bm25 is not None:
            bm25.save(str(staging), show_progress=False)
        print_fp = ids_fingerprint(ids)
        saved = {"fingerprint": print_fp, "ids": ids, "places": places}
        (staging / IDS_FILE).write_text(json.dumps(saved))
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            os.replace(self.folder, old)
        os.replace(staging, self.folder)
        shutil.rmtree(old, ignore_errors=True)
        self._state = (ids, print_fp, bm25, dict(zip(places, ids, strict=True)))

    def ids_around(
        self, chunks: Sequence[Chunk], reach: int, ledes: bool = False
    ) -> list[str] | None:
        """The ids of the chunks within `reach` positions of the given ones in their articles
        (the given ones included), and with `ledes` each article's first chunk, or None if
        this index doesn't know every given chunk (it is behind the store): then ask the
        store."""
        layout = self._state[3]
        if any(layout.get((c.article_key, c.position)) != c.id for c in chunks):
            return None
        places = places_around(chunks, reach, ledes)
        return [layout[place] for place in sorted(places) if place in layout]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to k (chunk id, BM25 score) pairs with a positive score, best first."""
        query_terms = terms(query)
        ids, _, bm25, _ = self._state
        if bm25 is None or not query_terms or k <= 0:
            return []
        scores = np.asarray(bm25.get_scores(query_terms))  # type: ignore[attr-defined]
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]
