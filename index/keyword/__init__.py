"""BM25 over the chunks in a tantivy index beside the Chroma data, in step with it, with where
each chunk sits in its article (so a passage's neighbouring chunks are found without a query).

Why tantivy (BENCHMARKS.md, "Keyword index"): its segments take added and deleted documents in
place, so a change costs what was changed rather than a rebuild of the corpus; a commit is
all-or-nothing; and a search over the question's terms takes about a millisecond.

folder.py      the tantivy index on disk (`TantivyFolder`), opened once and shared by:
search.py      `KeywordSearch`: BM25 matches, where chunks sit, the chunks around them
sync.py        `KeywordSync`: an indexing run's changes, and catching up with the store
vocabulary.py  `KeywordVocabulary`: the words it holds, for spelling correction
"""

from __future__ import annotations

from pathlib import Path

from index.keyword.folder import INDEX_DIR, TantivyFolder
from index.keyword.search import KeywordSearch
from index.keyword.sync import KeywordSync
from index.keyword.vocabulary import KeywordVocabulary

__all__ = [
    "INDEX_DIR",
    "KeywordIndex",
    "KeywordSearch",
    "KeywordSync",
    "KeywordVocabulary",
    "TantivyFolder",
]


class KeywordIndex:
    """The keyword index in `path`, opened once, through each of its uses: `search` for
    retrieval, `sync` for the indexer and the bot's refresh, `vocabulary` for spelling."""

    def __init__(self, path: Path) -> None:
        self.folder = TantivyFolder(path)
        self.search = KeywordSearch(self.folder)
        self.sync = KeywordSync(self.folder)
        self.vocabulary = KeywordVocabulary(self.folder)
