"""Keeping the keyword index in step with the store, in one commit a change.

Chroma is the source of truth. An indexing run marks the keyword index pending before it
writes to the store, and at the end applies what it added and removed and clears the mark. A
run killed in between leaves the mark, and the next run (or `catch_up`) catches up by
difference.

Another process sharing the store (a Chroma server) is noticed through the store's generation,
a stamp every write changes (`ArticleStore.generation`): `catch_up` compares it with the one
this index was built at, which costs one metadata read when nothing changed. When it changed,
`catch_up` compares an order-independent fingerprint of the chunk ids (XOR of their hashes,
updated with each change) with the store's and applies the difference; when the ids are the
same (chunks rewritten in place, e.g. a new title), it reads every chunk again. A change of
up to COMMIT_CHUNKS goes in as one tantivy commit, so a search sees the index before it or
after it, never half of it; a rebuild (a new layout, a lost folder) goes in COMMIT_CHUNKS at a
time, searched as it grows, and resumed where it stopped if killed. `catch_up` runs after a
run, in the bot's periodic refresh and, when the bot starts, in the background
(`index.keyword.background`): in a thread beside the questions, never while answering one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from index.keyword.folder import TantivyFolder
from index.store import ArticleStore
from index.text import terms

if TYPE_CHECKING:
    from index.chunking import Chunk

# Beside INDEX_DIR in the folder: the fingerprint, the pending mark and the generation.
STATE_FILE = "state.json"
# Chunks read from the store per get() while catching up (Chroma limits SQL variables).
READ_BATCH = 2000
# Chunks a commit while catching up by much (a rebuild): searches see each commit, and a
# rebuild killed half-way resumes after the last one.
COMMIT_CHUNKS = 20_000
WRITER_HEAP_BYTES = 64 * 1024 * 1024
# Another process may be writing (tantivy allows one writer per index): wait this long.
WRITER_WAIT_SECONDS = 60.0
UNKNOWN_GENERATION = "unknown"
# Told (chunks added so far, chunks to add) after each commit of a catch-up.
CatchUpProgress = Callable[[int, int], None]


def id_hash(chunk_id: str) -> int:
    return int.from_bytes(hashlib.sha256(chunk_id.encode()).digest()[:16], "big")


def ids_fingerprint(ids: Iterable[str]) -> str:
    """An order-independent fingerprint of a set of ids, updatable one id at a time."""
    combined = 0
    for chunk_id in ids:
        combined ^= id_hash(chunk_id)
    return f"{combined:032x}"


class KeywordSync:
    """Writes to the tantivy index in `folder`: an indexing run's changes, and catching up
    with changes made by others."""

    def __init__(self, folder: TantivyFolder) -> None:
        self.folder = folder
        self._lock = threading.Lock()  # one writer at a time within this process
        self._writing_to: ArticleStore | None = None  # the store of this process's run

    def _state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads((self.folder.path / STATE_FILE).read_text())
            return state
        except (OSError, ValueError):
            # No record of what it holds (a new folder, or one rebuilt from an older layout):
            # pending, so that the next run catches up with the store first. An indexing run
            # with nothing to embed would otherwise mark an empty index in step with a full
            # store.
            return {"fingerprint": ids_fingerprint([]), "pending": True}

    def _save_state(self, state: dict[str, Any]) -> None:
        staging = self.folder.path / f".{STATE_FILE}.new"
        staging.write_text(json.dumps(state))
        os.replace(staging, self.folder.path / STATE_FILE)

    def begin_changes(self, store: ArticleStore) -> None:
        """Mark the index pending before the store is written to: a run killed before
        `apply` leaves the mark, and the next run catches up here first."""
        self._writing_to = store
        state = self._state()
        if state.get("pending"):
            self.catch_up(store)
            state = self._state()
        self._save_state({**state, "pending": True})

    def apply(
        self,
        added: Sequence[Chunk],
        removed: Sequence[str],
        *,
        generation: str | None = None,
        partial: bool = False,
    ) -> None:
        """Add (or replace) chunks and remove ids in one commit, then clear the mark.
        `generation`: the store's, that this brings the index to; by default the one the
        store of this process's run wrote last, if no other process wrote since. `partial`:
        one commit of a catch-up in several, which keeps the mark (a catch-up killed between
        them resumes from what was committed)."""
        import tantivy

        if generation is None:
            generation = self._own_generation()

        index = self.folder.index
        with self._lock:
            writer = self._writer()
            combined = int(self._state()["fingerprint"], 16)
            index.reload()
            searcher = index.searcher()
            replaced = dict.fromkeys([*removed, *(chunk.id for chunk in added)])
            for chunk_id in replaced if searcher.num_docs else []:  # a first build has none
                query = tantivy.Query.term_query(index.schema, "id", chunk_id)
                if searcher.search(query, 1).hits:
                    writer.delete_documents_by_term("id", chunk_id)
                    combined ^= id_hash(chunk_id)
            for chunk in added:
                writer.add_document(
                    tantivy.Document(
                        id=chunk.id,
                        article=chunk.article_key,
                        position=chunk.position,
                        published=chunk.published,
                        collection=chunk.collection,
                        body=" ".join(terms(chunk.embedding_text)),
                    )
                )
                combined ^= id_hash(chunk.id)
            writer.commit()
            writer.wait_merging_threads()
            index.reload()
            # An unknown generation matches none: the next catch-up looks at the store again.
            self._save_state(
                {
                    "fingerprint": f"{combined:032x}",
                    "pending": partial,
                    "generation": generation or UNKNOWN_GENERATION,
                }
            )

    def _own_generation(self) -> str | None:
        """The store's generation after this process's run, if no other process wrote since
        (then the next `catch_up` looks at what it wrote); None if unknown."""
        store = self._writing_to
        if store is None or store.last_written_generation is None:
            return None
        current = store.generation()
        return current if current == store.last_written_generation else None

    def _writer(self) -> Any:
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        while True:
            try:
                return self.folder.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError:  # another process holds the index's writer lock
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def out_of_step(self, store: ArticleStore) -> bool:
        """Whether `catch_up` has anything to look at: a pending mark (a run or a rebuild cut
        short, a new or emptied index) or another generation of the store. One metadata read."""
        self.folder.index.reload()  # see what another process on this machine committed since
        state = self._state()
        return bool(state.get("pending")) or store.generation() != state.get("generation")

    def catch_up(
        self,
        store: ArticleStore,
        *,
        thorough: bool = False,
        progress: CatchUpProgress | None = None,
        stop: Callable[[], bool] | None = None,
        commit_chunks: int = COMMIT_CHUNKS,
    ) -> bool:
        """Bring the index in step with the store if it is out of step (a pending mark, or
        another generation); returns whether it changed anything. With `thorough`, the chunk
        ids are compared even when the generation is the same: a writer that died between its
        write and the new stamp (or one from before generations) is caught too.

        A small difference is one commit, so a search sees the index before it or after it.
        A large one (a rebuild: a new layout, a lost folder) is committed `commit_chunks` at a
        time, so searches use what is there meanwhile and a catch-up killed half-way resumes
        from it (the mark stays until the last commit); `progress(done, total)` is told after
        each, and `stop()` true ends it between two (the mark kept)."""
        self.folder.index.reload()
        state = self._state()
        generation, pending = store.generation(), bool(state.get("pending"))
        recorded = state.get("generation")
        if not pending and generation == recorded and not thorough:
            return False
        ids = store.all_ids()
        same_ids = ids_fingerprint(ids) == state["fingerprint"]
        if not pending and same_ids and recorded in (None, generation):
            # The same ids at the same generation; or an index from before generations were
            # kept, whose fingerprint is trusted once.
            self._save_state({**state, "generation": generation})
            return False
        known = set(self.folder.ids())
        missing = [chunk_id for chunk_id in ids if chunk_id not in known]
        gone = sorted(known - set(ids))
        if missing or gone:
            commits = _Commits(commit_chunks, progress, stop)
            self._add_in_commits(store, missing, gone, generation, commits)
        elif state.get("pending"):  # in step after all: recount
            self._save_state(
                {"fingerprint": ids_fingerprint(ids), "pending": False, "generation": generation}
            )
        else:  # the same chunk ids, written again by another process: read them all
            self.apply(store.all_chunks(), gone, generation=generation)
        return True

    def _add_in_commits(
        self,
        store: ArticleStore,
        missing: Sequence[str],
        gone: Sequence[str],
        generation: str,
        commits: _Commits,
    ) -> None:
        """The missing chunks read from the store and added, and the gone ones removed, in
        commits of `commits.size`; only the last clears the pending mark."""
        size = max(1, commits.size)
        starts = range(0, len(missing), size) if missing else range(1)
        for number, start in enumerate(starts):
            if commits.stop is not None and commits.stop():
                return
            wanted = missing[start : start + size]
            added = [
                chunk
                for first in range(0, len(wanted), READ_BATCH)
                for chunk in store.get_chunks(wanted[first : first + READ_BATCH])
            ]
            last = number == len(starts) - 1
            self.apply(added, gone if number == 0 else [], generation=generation, partial=not last)
            if commits.progress is not None:
                commits.progress(min(start + size, len(missing)), len(missing))


@dataclass(frozen=True)
class _Commits:
    """How a catch-up commits: `size` chunks at a time, telling `progress` after each, and
    ending between two once `stop()` is true."""

    size: int
    progress: CatchUpProgress | None
    stop: Callable[[], bool] | None
