"""The tantivy index on disk, in its folder: the schema, opening it (an older layout or a
damaged folder is emptied, to be rebuilt from the store), and what it holds. Opened once a
process and shared by the keyword index's uses (`KeywordSearch`, `KeywordSync`,
`KeywordVocabulary`), so what a sync commits is what the next search sees."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
# "tantivy-3" since each chunk's collection is indexed (a chat's scope filters on it); "-2"
# since its date is stored beside its place: a folder of an index without them (or of the
# bm25s index before tantivy) is rebuilt from the store once.
INDEX_DIR = "tantivy-3"


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("article", stored=True, tokenizer_name="raw")
    builder.add_integer_field("position", stored=True)
    builder.add_text_field("published", stored=True, tokenizer_name="raw")
    builder.add_text_field("collection", stored=False, tokenizer_name="raw")
    # The terms of our own tokenizer (index.text), joined by spaces: the same words for the
    # chunks and the questions, whatever tantivy's tokenizers would do.
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    return builder.build()


class TantivyFolder:
    """The tantivy index in `path` (BM25, tantivy's k1=1.2 and b=0.75, over each chunk's
    title and text, with where the chunk sits in its article and when it was published)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index = self._open()

    def _open(self) -> Any:
        import tantivy

        where = self.path / INDEX_DIR
        if not where.exists():  # also a folder of an older index (see INDEX_DIR)
            older = list(self.path.glob("*")) if self.path.exists() else []
            if older:
                # The next sync reads every chunk from the store: about half a millisecond a
                # chunk (8 minutes at a million; BENCHMARKS.md, "A quiet run to 1M").
                log.warning(
                    "keyword index at %s is of an older layout; rebuilding it from the store "
                    "once (about 1 minute per 100,000 chunks; a bot does it in the background)",
                    self.path,
                )
            for old in older:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            where.mkdir(parents=True)
        try:
            return tantivy.Index(_schema(), path=str(where), reuse=True)
        except ValueError as error:  # a damaged or foreign folder: rebuilt from the store
            log.warning("keyword index at %s is unreadable (%s); rebuilding it", where, error)
            shutil.rmtree(self.path, ignore_errors=True)
            (self.path / INDEX_DIR).mkdir(parents=True)
            return tantivy.Index(_schema(), path=str(where))

    def count(self) -> int:
        """The chunks it holds, as committed now (by this process or another)."""
        self.index.reload()
        return int(self.index.searcher().num_docs)

    def ids(self) -> list[str]:
        """The ids of the chunks it holds, as committed now."""
        import tantivy

        self.index.reload()
        searcher = self.index.searcher()
        if searcher.num_docs == 0:
            return []
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
        return [str(searcher.doc(address)["id"][0]) for _, address in hits]
