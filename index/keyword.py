"""BM25 over the chunks in a tantivy index beside the Chroma data, in step with it, with where
each chunk sits in its article (so a passage's neighbouring chunks are found without a query).

Why tantivy (BENCHMARKS.md, "Keyword index"): its segments take added and deleted documents in
place, so a change costs what was changed rather than a rebuild of the corpus; a commit is
all-or-nothing; and a search over the question's terms takes about a millisecond.

Chroma is the source of truth. An indexing run marks the keyword index pending before it
writes to the store, and at the end applies what it added and removed and clears the mark. A
run killed in between leaves the mark, and the next run (or `sync`) catches up by difference.

Another process sharing the store (a Chroma server) is noticed through the store's generation,
a stamp every write changes (`ArticleStore.generation`): `sync` compares it with the one this
index was built at, which costs one metadata read when nothing changed. When it changed,
`sync` compares an order-independent fingerprint of the chunk ids (XOR of their hashes,
updated with each change) with the store's and applies the difference; when the ids are the
same (chunks rewritten in place, e.g. a new title), it reads every chunk again. Either way the
change goes in as one tantivy commit, so a search sees the index before it or after it,
never half of it. `sync` runs when the parts are built, after a run, and in the bot's periodic
refresh, in a thread beside the questions: never while answering one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.chunking import Located, places_around
from index.store import ArticleStore
from index.text import terms

if TYPE_CHECKING:
    from index.chunking import Chunk

log = logging.getLogger(__name__)
STATE_FILE = "state.json"
# "tantivy-2" since each chunk's date is stored beside its place: a folder of an index
# without it (or of the bm25s index before tantivy) is rebuilt from the store once.
INDEX_DIR = "tantivy-2"
# Chunks read from the store per get() while catching up (Chroma limits SQL variables).
READ_BATCH = 2000
WRITER_HEAP_BYTES = 64 * 1024 * 1024
# Another process may be writing (tantivy allows one writer per index): wait this long.
WRITER_WAIT_SECONDS = 60.0
Place = tuple[str, int]  # (article key, position in the article)
MAX_CHUNKS_PER_ARTICLE = 1000
# A question's topic, for spelling correction: the articles of its best BM25 chunks.
TOPIC_CHUNKS = 20
UNKNOWN_GENERATION = "unknown"


def id_hash(chunk_id: str) -> int:
    return int.from_bytes(hashlib.sha256(chunk_id.encode()).digest()[:16], "big")


def ids_fingerprint(ids: Iterable[str]) -> str:
    """An order-independent fingerprint of a set of ids, updatable one id at a time."""
    combined = 0
    for chunk_id in ids:
        combined ^= id_hash(chunk_id)
    return f"{combined:032x}"


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("article", stored=True, tokenizer_name="raw")
    builder.add_integer_field("position", stored=True)
    builder.add_text_field("published", stored=True, tokenizer_name="raw")
    # The terms of our own tokenizer (index.text), joined by spaces: the same words for the
    # chunks and the questions, whatever tantivy's tokenizers would do.
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    return builder.build()


class KeywordIndex:
    """BM25 (tantivy's, k1=1.2, b=0.75) over each chunk's title and text, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()  # one writer at a time within this process
        self._writing_to: ArticleStore | None = None  # the store of this process's run
        self._index = self._open()

    def _open(self) -> Any:
        import tantivy

        where = self.folder / INDEX_DIR
        if not where.exists():  # also a folder of an older index (see INDEX_DIR)
            older = list(self.folder.glob("*")) if self.folder.exists() else []
            if older:
                # The next sync reads every chunk from the store: about half a millisecond a
                # chunk (8 minutes at a million; BENCHMARKS.md, "A quiet run to 1M").
                log.warning(
                    "keyword index at %s is of an older layout; rebuilding it from the store "
                    "once (about 1 minute per 100,000 chunks)",
                    self.folder,
                )
            for old in older:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            where.mkdir(parents=True)
        try:
            return tantivy.Index(_schema(), path=str(where), reuse=True)
        except ValueError as error:  # a damaged or foreign folder: rebuilt from the store
            log.warning("keyword index at %s is unreadable (%s); rebuilding it", where, error)
            shutil.rmtree(self.folder, ignore_errors=True)
            (self.folder / INDEX_DIR).mkdir(parents=True)
            return tantivy.Index(_schema(), path=str(where))

    def _state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads((self.folder / STATE_FILE).read_text())
            return state
        except (OSError, ValueError):
            return {"fingerprint": ids_fingerprint([]), "pending": self.count() > 0}

    def _save_state(self, state: dict[str, Any]) -> None:
        staging = self.folder / f".{STATE_FILE}.new"
        staging.write_text(json.dumps(state))
        os.replace(staging, self.folder / STATE_FILE)

    def count(self) -> int:
        self._index.reload()
        return int(self._index.searcher().num_docs)

    @property
    def ids(self) -> list[str]:
        return [str(doc["id"][0]) for doc in self._all_docs()]

    def _all_docs(self) -> list[Any]:
        import tantivy

        self._index.reload()
        searcher = self._index.searcher()
        if searcher.num_docs == 0:
            return []
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
        return [searcher.doc(address) for _, address in hits]

    def begin_changes(self, store: ArticleStore) -> None:
        """Mark the index pending before the store is written to: a run killed before
        `apply` leaves the mark, and the next run catches up here first."""
        self._writing_to = store
        state = self._state()
        if state.get("pending"):
            self.sync(store)
            state = self._state()
        self._save_state({**state, "pending": True})

    def apply(
        self, added: Sequence[Chunk], removed: Sequence[str], *, generation: str | None = None
    ) -> None:
        """Add (or replace) chunks and remove ids in one commit, then clear the mark.
        `generation`: the store's, that this brings the index to; by default the one the
        store of this process's run wrote last, if no other process wrote since."""
        import tantivy

        if generation is None:
            generation = self._own_generation()

        with self._lock:
            writer = self._writer()
            combined = int(self._state()["fingerprint"], 16)
            self._index.reload()
            searcher = self._index.searcher()
            replaced = dict.fromkeys([*removed, *(chunk.id for chunk in added)])
            for chunk_id in replaced if searcher.num_docs else []:  # a first build has none
                query = tantivy.Query.term_query(self._index.schema, "id", chunk_id)
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
                        body=" ".join(terms(chunk.embedding_text)),
                    )
                )
                combined ^= id_hash(chunk.id)
            writer.commit()
            writer.wait_merging_threads()
            self._index.reload()
            # An unknown generation matches none: the next sync looks at the store again.
            self._save_state(
                {
                    "fingerprint": f"{combined:032x}",
                    "pending": False,
                    "generation": generation or UNKNOWN_GENERATION,
                }
            )

    def _own_generation(self) -> str | None:
        """The store's generation after this process's run, if no other process wrote since
        (then the next `sync` looks at what it wrote); None if unknown."""
        store = self._writing_to
        if store is None or store.last_written_generation is None:
            return None
        current = store.generation()
        return current if current == store.last_written_generation else None

    def _writer(self) -> Any:
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        while True:
            try:
                return self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError:  # another process holds the index's writer lock
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def sync(self, store: ArticleStore, *, thorough: bool = False) -> bool:
        """Bring the index in step with the store if it is out of step (a pending mark, or
        another generation), in one commit; returns whether it changed anything. With
        `thorough`, the chunk ids are compared even when the generation is the same: a writer
        that died between its write and the new stamp (or one from before generations) is
        caught too."""
        self._index.reload()  # see what another process on this machine committed since
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
        known = set(self.ids)
        missing = [chunk_id for chunk_id in ids if chunk_id not in known]
        gone = sorted(known - set(ids))
        if missing or gone:
            added = [
                chunk
                for start in range(0, len(missing), READ_BATCH)
                for chunk in store.get_chunks(missing[start : start + READ_BATCH])
            ]
        elif state.get("pending"):  # in step after all: recount
            self._save_state(
                {"fingerprint": ids_fingerprint(ids), "pending": False, "generation": generation}
            )
            return True
        else:  # the same chunk ids, written again by another process: read them all
            added = store.all_chunks()
        self.apply(added, gone, generation=generation)
        return True

    def ids_around(
        self, chunks: Sequence[Chunk], reach: int, ledes: bool = False
    ) -> list[str] | None:
        """The ids of the chunks within `reach` positions of the given ones in their articles
        (the given ones included), and with `ledes` each article's first chunk, or None if
        this index doesn't know every given chunk (it is behind the store): then ask the
        store."""
        import tantivy

        keys = sorted({chunk.article_key for chunk in chunks})
        if not keys:
            return []
        schema = self._index.schema
        searcher = self._index.searcher()
        query = tantivy.Query.term_set_query(schema, "article", keys)
        layout: dict[Place, str] = {}
        # A cap on the hits (uploads are capped far below 1,000 chunks an article; an older, longer
        # article may get a shorter passage), so
        # a question never asks tantivy for a result list the size of the whole index.
        limit = max(1, min(searcher.num_docs, MAX_CHUNKS_PER_ARTICLE * len(keys)))
        for _, address in searcher.search(query, limit).hits:
            doc = searcher.doc(address)
            layout[(str(doc["article"][0]), int(doc["position"][0]))] = str(doc["id"][0])
        if any(layout.get((c.article_key, c.position)) != c.id for c in chunks):
            return None
        places = places_around(chunks, reach, ledes)
        return [layout[place] for place in sorted(places) if place in layout]

    def locate(self, ids: Sequence[str]) -> dict[str, Located]:
        """Where each of these chunks sits and when it was published, for the ones this
        index holds (it may be behind the store: ask the store for the rest). A read of the
        index's stored fields, much cheaper than the store's metadata (BENCHMARKS.md, "A new
        machine, one text a run for fp32 too, and reading only what is kept")."""
        import tantivy

        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        searcher = self._index.searcher()
        query = tantivy.Query.term_set_query(self._index.schema, "id", wanted)
        found = {}
        for _, address in searcher.search(query, len(wanted)).hits:
            doc = searcher.doc(address)
            published = str(doc.get_first("published") or "")
            found[str(doc["id"][0])] = Located(
                str(doc["article"][0]), int(doc["position"][0]), published
            )
        return found

    def document_frequencies(self, candidates: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each of `candidates` (terms as `index.text.terms` makes them),
        for the ones that occur at all: the vocabulary spelling correction draws on."""
        searcher = self._index.searcher()
        found = {}
        for term in dict.fromkeys(candidates):
            count = int(searcher.doc_freq("body", term))
            if count:
                found[term] = count
        return found

    def in_articles_found_for(self, term: str, query: str) -> bool | None:
        """Whether `term` (as `index.text.terms` makes it) is in one of the articles of the
        TOPIC_CHUNKS chunks BM25 ranks best for `query`, or None if `query` finds nothing:
        spelling correction's check that a word belongs with the rest of a question."""
        import tantivy

        found = self.search(query, TOPIC_CHUNKS)
        if not found:
            return None
        schema = self._index.schema
        searcher = self._index.searcher()
        ids = [tantivy.Query.term_query(schema, "id", chunk_id) for chunk_id, _ in found]
        chunks = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in ids])
        keys = {
            str(searcher.doc(address)["article"][0])
            for _, address in searcher.search(chunks, len(ids)).hits
        }
        query_in_topic = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.term_set_query(schema, "article", sorted(keys))),
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "body", term)),
            ]
        )
        return int(searcher.search(query_in_topic, 1, count=True).count) > 0

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to k (chunk id, BM25 score) pairs with a positive score, best first."""
        import tantivy

        wanted = list(dict.fromkeys(terms(query)))
        if not wanted or k <= 0:
            return []
        schema = self._index.schema
        should = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term))
            for term in wanted
        ]
        searcher = self._index.searcher()
        hits = searcher.search(tantivy.Query.boolean_query(should), k).hits
        return [(str(searcher.doc(a)["id"][0]), float(s)) for s, a in hits if s > 0]
