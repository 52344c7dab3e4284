"""The BM25 keyword index stays in step with Chroma, survives restarts and crashes, and an
update costs what it changes."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from bot.answering.retrieval import ChunkRetriever
from index.articles import Article
from index.chunking import Chunk, Located
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import INDEX_DIR, KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore

BRIDGE = Article(key="https://x.org/bridge", title="Bridge", text="The Tal Sufouq bridge opened.")
TUNNEL = Article(key="https://x.org/tunnel", title="Tunnel", text="A tunnel under Baaj was dug.")


def ids_for(index: KeywordIndex, query: str) -> list[str]:
    return [chunk_id for chunk_id, _ in index.search.search(query, 10)]


def test_in_step_after_indexing_and_reindexing(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    keyword = KeywordIndex(tmp_path / "keyword")
    index_articles([BRIDGE, TUNNEL], fresh_store, embeddings, keyword=keyword.sync)
    assert sorted(keyword.folder.ids()) == sorted(fresh_store.all_ids())
    (bridge_id,) = ids_for(keyword, "Sufouq")

    changed = Article(key=BRIDGE.key, title="Bridge", text="The Qairawan bridge opened.")
    index_articles([changed], fresh_store, embeddings, keyword=keyword.sync)
    assert ids_for(keyword, "Sufouq") == []
    assert ids_for(keyword, "Qairawan") != [bridge_id]
    assert sorted(keyword.folder.ids()) == sorted(fresh_store.all_ids())


def test_survives_a_restart_without_rebuilding(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    index_articles(
        [BRIDGE, TUNNEL], fresh_store, embeddings, keyword=KeywordIndex(tmp_path / "k").sync
    )
    reopened = KeywordIndex(tmp_path / "k")
    assert reopened.sync.catch_up(fresh_store) is False, "loaded from disk, already in step"
    assert len(ids_for(reopened, "tunnel Baaj")) == 1


def test_rebuilt_when_the_store_changed_elsewhere_or_the_files_are_damaged(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    index_articles([BRIDGE], fresh_store, embeddings, keyword=KeywordIndex(tmp_path / "k").sync)
    index_articles([TUNNEL], fresh_store, embeddings)  # another process, no keyword index
    retriever = ChunkRetriever(
        store=fresh_store, embeddings=embeddings, keyword=KeywordIndex(tmp_path / "k").search, k=2
    )
    top = retriever.invoke("tunnel under Baaj")[0]
    assert top.metadata["article_key"] == TUNNEL.key

    for file in (tmp_path / "k").rglob("*"):
        if file.is_file():
            file.write_text("garbage")
    damaged = KeywordIndex(tmp_path / "k")
    assert damaged.folder.ids() == []
    assert damaged.sync.catch_up(fresh_store) is True
    assert len(ids_for(damaged, "Sufouq bridge")) == 1


def test_the_layout_of_chunks_survives_a_restart_and_an_old_index_is_rebuilt(
    fresh_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    long_text = "\n".join(
        f"Paragraph {n} about the Tal Sufouq bridge, part {n}. " * 12 for n in range(6)
    )
    report = Article(key="report", title="Report", text=long_text)
    index_articles(
        [report, TUNNEL], fresh_store, embeddings, keyword=KeywordIndex(tmp_path / "k").sync
    )
    chunks = sorted(fresh_store.all_chunks(), key=lambda c: (c.article_key, c.position))
    middle = next(c for c in chunks if c.article_key == "report" and c.position == 2)
    expected = sorted(c.id for c in fresh_store.get_around([middle], 1))
    assert len(expected) == 3

    reopened = KeywordIndex(tmp_path / "k")
    assert reopened.sync.catch_up(fresh_store) is False
    assert sorted(reopened.search.ids_around([middle], 1) or []) == expected
    with_lede = sorted(c.id for c in fresh_store.get_around([middle], 1, ledes=True))
    assert len(with_lede) == 4 and set(expected) < set(with_lede)
    assert sorted(reopened.search.ids_around([middle], 1, ledes=True) or []) == with_lede
    # A chunk it doesn't know (say, indexed by another process since): ask the store instead.
    stranger = Chunk(**{**asdict(middle), "id": "not-indexed"})
    assert reopened.search.ids_around([stranger], 1) is None

    # Folders of the keyword indexes before this one are rebuilt once: the bm25s files, and
    # a tantivy index without the chunks' dates (as the first tantivy one was written).
    bm25s = tmp_path / "bm25s"
    bm25s.mkdir()
    (bm25s / "chunk_ids.json").write_text(json.dumps({"ids": [], "fingerprint": "x"}))
    (bm25s / "data.csc.index.npy").write_bytes(b"\x93NUMPY")
    first_tantivy = tmp_path / "tantivy-1"
    shutil.copytree(tmp_path / "k", first_tantivy)
    (first_tantivy / INDEX_DIR).rename(first_tantivy / "tantivy")
    for legacy in (bm25s, first_tantivy):
        caplog.clear()
        old = KeywordIndex(legacy)
        assert "of an older layout; rebuilding it from the store once" in caplog.text
        assert sorted(p.name for p in legacy.iterdir()) == [INDEX_DIR]
        assert old.search.ids_around([middle], 1) is None
        assert old.sync.catch_up(fresh_store) is True
        assert sorted(old.search.ids_around([middle], 1) or []) == expected
        assert old.search.locate([middle.id, "not-indexed"]) == {middle.id: Located.of(middle)}

    # ... and an indexing run that finds nothing new to embed rebuilds it too, not only a
    # catch-up: it once marked the new, empty index in step with the store.
    upgraded = tmp_path / "tantivy-2"
    shutil.copytree(tmp_path / "k", upgraded)
    (upgraded / INDEX_DIR).rename(upgraded / "tantivy-2")
    after_upgrade = KeywordIndex(upgraded)
    index_articles([report, TUNNEL], fresh_store, embeddings, keyword=after_upgrade.sync)
    assert after_upgrade.folder.count() == len(chunks)
    assert sorted(after_upgrade.search.ids_around([middle], 1) or []) == expected


def test_empty_store_and_empty_query(fresh_store: ArticleStore, tmp_path: Path) -> None:
    keyword = KeywordIndex(tmp_path / "k")
    keyword.sync.catch_up(fresh_store)
    assert keyword.search.search("anything", 5) == []
    assert keyword.search.search("the of and", 5) == []


def test_a_question_reads_the_keyword_index_as_it_is_and_never_rebuilds_it(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    keyword = KeywordIndex(tmp_path / "k")
    index_articles([BRIDGE], fresh_store, embeddings, keyword=keyword.sync)
    index_articles([TUNNEL], fresh_store, embeddings)  # another process, no keyword index
    retriever = ChunkRetriever(
        store=fresh_store, embeddings=embeddings, keyword=keyword.search, k=2
    )
    retriever.invoke("tunnel under Baaj")
    assert len(keyword.folder.ids()) == 1 and ids_for(keyword, "Baaj") == [], (
        "not rebuilt by a question"
    )
    assert keyword.sync.catch_up(fresh_store) is True  # the refresh step, outside any question
    assert len(ids_for(keyword, "Baaj")) == 1


def test_a_run_killed_before_it_updated_the_keyword_index_is_caught_up_by_the_next(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    keyword = KeywordIndex(tmp_path / "k")
    index_articles([BRIDGE], fresh_store, embeddings, keyword=keyword.sync)
    keyword.sync.begin_changes(fresh_store)  # a run marks the index, writes the store, is killed:
    index_articles([TUNNEL], fresh_store, embeddings)
    again = KeywordIndex(tmp_path / "k")  # the next run, in a new process
    assert ids_for(again, "Baaj") == []
    index_articles([], fresh_store, embeddings, keyword=again.sync)
    assert len(ids_for(again, "Baaj")) == 1
    assert sorted(again.folder.ids()) == sorted(fresh_store.all_ids())


def test_an_update_adds_to_the_index_instead_of_rebuilding_it(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    keyword = KeywordIndex(tmp_path / "k")
    index_articles([BRIDGE], fresh_store, embeddings, keyword=keyword.sync)
    before = {path.name for path in (tmp_path / "k").rglob("*.idx")}
    assert before
    index_articles([TUNNEL], fresh_store, embeddings, keyword=keyword.sync)
    after = {path.name for path in (tmp_path / "k").rglob("*.idx")}
    assert before < after, "the first segment is kept, a new one holds the new article"
    assert len(ids_for(keyword, "Baaj")) == 1 and len(ids_for(keyword, "Sufouq")) == 1
