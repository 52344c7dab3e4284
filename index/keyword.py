"""BM25 over the chunks in SQLite FTS5, beside the Chroma data and in step with it, with where
each chunk sits in its article (so a passage's neighbouring chunks are found without a query).

Why FTS5 (BENCHMARKS.md, "Keyword index"): it ships with Python's sqlite3, it updates in
place, so a change costs what was changed rather than a rebuild of the whole corpus, and its
transactions make every update all-or-nothing.

Chroma is the source of truth. An indexing run marks the keyword index pending before it
writes to the store, and applies what it added and removed, clearing the mark, in one
transaction at the end. A run killed in between leaves the mark, and the next `sync` brings
the index in step with the store by difference. `sync` also compares an order-independent
fingerprint of the chunk ids (XOR of their hashes, updated with each change) with the store's,
which catches changes made by another process. It runs when the parts are built, after a run,
and in the bot's periodic refresh: never while answering a question.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from index.chunking import places_around
from index.errors import NewsdeskError
from index.store import ArticleStore
from index.text import terms

if TYPE_CHECKING:
    from index.chunking import Chunk

log = logging.getLogger(__name__)
DATABASE = "keyword.sqlite"
# Chunks read from the store per get() while catching up (Chroma limits SQL variables).
READ_BATCH = 2000
# unicode61 would split terms at the hyphens and underscores our tokenizer keeps inside words
# ("al-amiri"); apostrophes are normalized to ’ first.
SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    article_key TEXT NOT NULL, position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_key, position);
CREATE VIRTUAL TABLE IF NOT EXISTS bodies USING fts5(
    body, tokenize = "unicode61 remove_diacritics 0 tokenchars '-_’'"
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
Place = tuple[str, int]  # (article key, position in the article)
# What bm25s, the keyword index before this one, left in the folder.
LEGACY_FILES = ("chunk_ids.json", "params.index.json", "vocab.index.json", "corpus.jsonl")


def id_hash(chunk_id: str) -> int:
    return int.from_bytes(hashlib.sha256(chunk_id.encode()).digest()[:16], "big")


def ids_fingerprint(ids: Iterable[str]) -> str:
    """An order-independent fingerprint of a set of ids, updatable one id at a time."""
    combined = 0
    for chunk_id in ids:
        combined ^= id_hash(chunk_id)
    return f"{combined:032x}"


def indexed_terms(text: str) -> list[str]:
    return [term.replace("'", "’") for term in terms(text)]


class KeywordIndex:
    """BM25 (FTS5's, k1=1.2, b=0.75) over each chunk's title and text, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DATABASE
        folder.mkdir(parents=True, exist_ok=True)
        for legacy in [*LEGACY_FILES, *(p.name for p in folder.glob("*.index.npy"))]:
            if (folder / legacy).exists():  # rebuilt from the store by the first sync
                (folder / legacy).unlink()
        try:
            with self._connect() as db:
                db.executescript(SCHEMA)
        except KeywordIndexDamaged as error:
            log.warning("keyword index at %s is damaged (%s); it will be rebuilt", self.path, error)
            self._reset()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One short-lived connection per call, so any thread may use the index; WAL lets a
        search read the last committed state while an update is written."""
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:  # commits, or rolls back on error
                yield db
        except sqlite3.DatabaseError as error:
            if "malformed" in str(error) or "not a database" in str(error):
                raise KeywordIndexDamaged(str(error)) from error
            raise
        finally:
            db.close()

    @property
    def ids(self) -> list[str]:
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT id FROM chunks")]

    @property
    def built_from(self) -> str:
        """The fingerprint of the chunk ids this index holds."""
        return self._state("fingerprint") or ids_fingerprint([])

    def _state(self, key: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def begin_changes(self, store: ArticleStore) -> None:
        """Mark the index pending before the store is written to: a run killed before
        `apply` leaves the mark, and the next run catches up here first."""
        if self._state("pending") is not None:
            self.sync(store)
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO state VALUES ('pending', '1')")

    def apply(self, added: Sequence[Chunk], removed: Sequence[str]) -> None:
        """Add (or replace) chunks and remove ids in one transaction, clearing the mark."""
        with self._connect() as db:
            self._apply(db, added, removed)

    def _apply(
        self, db: sqlite3.Connection, added: Sequence[Chunk], removed: Sequence[str]
    ) -> None:
        row = db.execute("SELECT value FROM state WHERE key = 'fingerprint'").fetchone()
        combined = int(row[0], 16) if row else 0
        for chunk_id in [*removed, *(chunk.id for chunk in added)]:
            found = db.execute("SELECT rowid FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
            if found is not None:
                db.execute("DELETE FROM chunks WHERE rowid = ?", found)
                db.execute("DELETE FROM bodies WHERE rowid = ?", found)
                combined ^= id_hash(chunk_id)
        for chunk in added:
            cursor = db.execute(
                "INSERT INTO chunks (id, article_key, position) VALUES (?, ?, ?)",
                (chunk.id, chunk.article_key, chunk.position),
            )
            body = " ".join(indexed_terms(chunk.embedding_text))
            db.execute("INSERT INTO bodies (rowid, body) VALUES (?, ?)", (cursor.lastrowid, body))
            combined ^= id_hash(chunk.id)
        db.execute("INSERT OR REPLACE INTO state VALUES ('fingerprint', ?)", (f"{combined:032x}",))
        db.execute("DELETE FROM state WHERE key = 'pending'")

    def sync(self, store: ArticleStore) -> bool:
        """Bring the index in step with the store by difference, if it is out of step (a
        pending mark, or other ids); returns whether it changed anything."""
        try:
            pending = self._state("pending") is not None
            ids = store.all_ids()
            if not pending and ids_fingerprint(ids) == self.built_from:
                return False
            known = set(self.ids)
        except KeywordIndexDamaged as error:
            log.warning("keyword index at %s is damaged (%s); rebuilding it", self.path, error)
            self._reset()
            pending, known = True, set()
            ids = store.all_ids()
        wanted = set(ids)
        missing = [chunk_id for chunk_id in ids if chunk_id not in known]
        gone = sorted(known - wanted)
        for start in range(0, max(len(missing), 1), READ_BATCH):
            batch = store.get_chunks(missing[start : start + READ_BATCH])
            self.apply(batch, gone if start == 0 else [])
        return bool(missing or gone or pending)

    def _reset(self) -> None:
        for path in self.folder.glob(f"{DATABASE}*"):
            path.unlink()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def ids_around(
        self, chunks: Sequence[Chunk], reach: int, ledes: bool = False
    ) -> list[str] | None:
        """The ids of the chunks within `reach` positions of the given ones in their articles
        (the given ones included), and with `ledes` each article's first chunk, or None if
        this index doesn't know every given chunk (it is behind the store): then ask the
        store."""
        keys = sorted({chunk.article_key for chunk in chunks})
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        with self._connect() as db:
            rows = db.execute(
                f"SELECT article_key, position, id FROM chunks WHERE article_key IN ({marks})",
                keys,
            ).fetchall()
        layout: dict[Place, str] = {(key, int(position)): i for key, position, i in rows}
        if any(layout.get((c.article_key, c.position)) != c.id for c in chunks):
            return None
        places = places_around(chunks, reach, ledes)
        return [layout[place] for place in sorted(places) if place in layout]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to k (chunk id, BM25 score) pairs with a positive score, best first."""
        wanted = list(dict.fromkeys(indexed_terms(query)))
        if not wanted or k <= 0:
            return []
        match = " OR ".join(f'"{term}"' for term in wanted)
        with self._connect() as db:
            rows = db.execute(
                "SELECT chunks.id, -bm25(bodies) FROM bodies JOIN chunks "
                "ON chunks.rowid = bodies.rowid WHERE bodies MATCH ? "
                "ORDER BY bm25(bodies) LIMIT ?",
                (match, k),
            ).fetchall()
        return [(str(chunk_id), float(score)) for chunk_id, score in rows if score > 0]


class KeywordIndexDamaged(NewsdeskError):
    """The database file is damaged; it is rebuilt from the store, never shown to users."""
