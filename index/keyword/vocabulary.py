"""The words the keyword index holds, as spelling correction looks them up
(bot/answering/spelling.py): how many chunks hold a word, and whether a word is in the
articles a question's other words find."""

from __future__ import annotations

from collections.abc import Iterable

from index.keyword.folder import TantivyFolder
from index.keyword.search import KeywordSearch

# A question's topic, for spelling correction: the articles of its best BM25 chunks.
TOPIC_CHUNKS = 20


class KeywordVocabulary:
    """The vocabulary of the tantivy index in `folder`; writes nothing."""

    def __init__(self, folder: TantivyFolder) -> None:
        self.folder = folder
        self._search = KeywordSearch(folder)

    def document_frequencies(self, candidates: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each of `candidates` (terms as `index.text.terms` makes them),
        for the ones that occur at all: the vocabulary spelling correction draws on."""
        searcher = self.folder.index.searcher()
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

        found = self._search.search(query, TOPIC_CHUNKS)
        if not found:
            return None
        schema = self.folder.index.schema
        searcher = self.folder.index.searcher()
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
