"""Reading the keyword index, as retrieval does: the chunks BM25 ranks best for a question,
where chunks sit in their articles, and the chunks around them (so a passage's neighbours are
found without a query). Read as it is: keeping it in step is `KeywordSync`'s job, never a
question's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.chunking import Located, places_around
from index.collections import Scope
from index.keyword.folder import TantivyFolder
from index.text import terms

if TYPE_CHECKING:
    from index.chunking import Chunk

Place = tuple[str, int]  # (article key, position in the article)
MAX_CHUNKS_PER_ARTICLE = 1000


class KeywordSearch:
    """Searches over the tantivy index in `folder`; writes nothing."""

    def __init__(self, folder: TantivyFolder) -> None:
        self.folder = folder

    def search(self, query: str, k: int, collections: Scope = None) -> list[tuple[str, float]]:
        """Up to k (chunk id, BM25 score) pairs with a positive score, best first; with
        `collections`, of chunks in those alone (a chat's scope)."""
        import tantivy

        wanted = list(dict.fromkeys(terms(query)))
        if not wanted or k <= 0:
            return []
        schema = self.folder.index.schema
        should = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term))
            for term in wanted
        ]
        query_terms = tantivy.Query.boolean_query(should)
        if collections is not None:
            within = tantivy.Query.term_set_query(schema, "collection", list(collections))
            query_terms = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query_terms), (tantivy.Occur.Must, within)]
            )
        searcher = self.folder.index.searcher()
        hits = searcher.search(query_terms, k).hits
        return [(str(searcher.doc(a)["id"][0]), float(s)) for s, a in hits if s > 0]

    def locate(self, ids: Sequence[str]) -> dict[str, Located]:
        """Where each of these chunks sits and when it was published, for the ones this
        index holds (it may be behind the store: ask the store for the rest). A read of the
        index's stored fields, much cheaper than the store's metadata (BENCHMARKS.md, "A new
        machine, one text a run for fp32 too, and reading only what is kept")."""
        import tantivy

        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        searcher = self.folder.index.searcher()
        query = tantivy.Query.term_set_query(self.folder.index.schema, "id", wanted)
        found = {}
        for _, address in searcher.search(query, len(wanted)).hits:
            doc = searcher.doc(address)
            published = str(doc.get_first("published") or "")
            found[str(doc["id"][0])] = Located(
                str(doc["article"][0]), int(doc["position"][0]), published
            )
        return found

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
        schema = self.folder.index.schema
        searcher = self.folder.index.searcher()
        query = tantivy.Query.term_set_query(schema, "article", keys)
        layout: dict[Place, str] = {}
        # A cap on the hits, so a question never asks tantivy for a result list the size of
        # the whole index (uploads are capped far below 1,000 chunks an article; an older,
        # longer article may get a shorter passage).
        limit = max(1, min(searcher.num_docs, MAX_CHUNKS_PER_ARTICLE * len(keys)))
        for _, address in searcher.search(query, limit).hits:
            doc = searcher.doc(address)
            layout[(str(doc["article"][0]), int(doc["position"][0]))] = str(doc["id"][0])
        if any(layout.get((c.article_key, c.position)) != c.id for c in chunks):
            return None
        places = places_around(chunks, reach, ledes)
        return [layout[place] for place in sorted(places) if place in layout]
