"""Re-indexing: unchanged sources embed nothing, changes replace chunks, --prune follows
deletions, and a half-indexed article is completed. A run stopped early (the bot shutting
down) deletes nothing: pruning and removing replaced chunks wait for a whole run."""

from __future__ import annotations

import json
from pathlib import Path

from index.articles import Article
from index.chroma_client import open_store
from index.chunking import chunk_article
from index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from index.indexer import Indexer
from index.ingest.fetch import FetchPolicy
from index.ingest.loaders import load_paths
from index.ingest.sources import Sources
from index.keyword import KeywordIndex
from index.pipeline import IndexSummary
from index.store import ArticleStore

PARAGRAPH = (
    "Iraqi forces said on Thursday that they had retaken the district after two weeks of "
    "fighting, and that engineers were clearing the roads of explosives. "
)


def write_article(folder: Path, name: str, title: str, sentences: int = 12) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(f"{PARAGRAPH}Report {n} about {title}." for n in range(sentences))
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return path


def write_stories(folder: Path, count: int) -> Path:
    """Articles a0.txt, a1.txt, ... titled Story 0, Story 1, ... in `folder`."""
    for n in range(count):
        write_article(folder, f"a{n}.txt", f"Story {n}")
    return folder


def make_indexer(home: Path, embeddings: SentenceTransformerEmbeddings) -> Indexer:
    return Indexer(
        store=open_store("test-articles", path=home / "chroma"),
        embeddings=embeddings,
        keyword=KeywordIndex(home / "keyword").sync,
        fetch_policy=FetchPolicy(),
    )


def snapshot(store: ArticleStore) -> dict[str, set[str]]:
    return store.chunk_ids_by_article()


def test_unchanged_sources_embed_nothing_and_do_not_load_the_model(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = write_stories(tmp_path / "articles", 3)
    first = make_indexer(tmp_path, embeddings).run(Sources(paths=[articles]))
    assert (first.articles_new, first.chunks_added) == (3, first.chunks_added)
    assert first.chunks_added > 3
    lazy = make_embeddings(lazy=True)
    again = make_indexer(tmp_path, lazy).run(Sources(paths=[articles]))
    assert (again.articles_unchanged, again.chunks_added, again.chunks_removed) == (3, 0, 0)
    assert again.chunks_unchanged == first.chunks_added
    assert "nothing embedded" in again.describe()
    assert not lazy.loaded


def test_a_changed_article_has_its_old_chunks_replaced(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = tmp_path / "articles"
    path = write_article(articles, "story.txt", "Story", sentences=12)
    indexer = make_indexer(tmp_path, embeddings)
    indexer.run(Sources(paths=[articles]))
    path.write_text(path.read_text().replace("Report 11", "Correction 11"), encoding="utf-8")
    summary = indexer.run(Sources(paths=[articles]))
    assert summary.articles_changed == 1 and summary.chunks_added >= 1
    assert summary.chunks_removed == summary.chunks_added
    (article,) = list(load_paths([articles]))
    assert isinstance(article, Article)
    assert snapshot(indexer.store) == {article.key: {c.id for c in chunk_article(article)}}
    assert "Correction 11" in " ".join(c.text for c in indexer.store.all_chunks())
    assert "Report 11 " not in " ".join(c.text for c in indexer.store.all_chunks())


def test_prune_removes_deleted_files_and_records_but_keeps_unreadable_ones(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = tmp_path / "articles"
    gone = write_article(articles, "gone.txt", "Deleted story", sentences=2)
    broken = write_article(articles, "broken.txt", "Story that will break", sentences=2)
    write_article(articles, "kept.txt", "Kept story", sentences=2)
    records = articles / "wire.jsonl"
    rows = [{"id": n, "title": f"Wire {n}", "text": PARAGRAPH * 2} for n in range(3)]
    records.write_text("\n".join(json.dumps(r) for r in rows))
    elsewhere = write_article(tmp_path / "elsewhere", "other.txt", "Other folder", sentences=2)
    indexer = make_indexer(tmp_path, embeddings)
    indexer.run(Sources(paths=[articles, elsewhere]))
    assert len(snapshot(indexer.store)) == 7

    gone.unlink()
    broken.write_bytes(b"\xff\xfe not utf-8 any more")
    records.write_text("\n".join(json.dumps(r) for r in rows[:2]))
    without_prune = indexer.run(Sources(paths=[articles]))
    assert without_prune.articles_removed == 0 and len(snapshot(indexer.store)) == 7

    pruned = indexer.run(Sources(paths=[articles]), prune=True)
    titles = {c.title for c in indexer.store.all_chunks()}
    assert pruned.articles_removed == 2
    assert "Deleted story" not in titles and "Wire 2" not in titles
    # Unreadable this time, so its indexed version is kept; another folder is out of scope.
    assert {"Story that will break", "Other folder", "Kept story", "Wire 0"} <= titles
    assert [p.where for p in pruned.problems] == [str(broken)]
    assert set(indexer.keyword.folder.ids() if indexer.keyword else []) == set(
        indexer.store.all_ids()
    )


def test_a_half_indexed_article_is_completed(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = tmp_path / "articles"
    write_article(articles, "story.txt", "Story", sentences=12)
    (article,) = list(load_paths([articles]))
    assert isinstance(article, Article)
    chunks = chunk_article(article)
    indexer = make_indexer(tmp_path, embeddings)
    # What a crash after the first embedding batch leaves: some of the article's chunks.
    first_part = chunks[:2]
    indexer.store.add(first_part, embeddings.embed_documents([c.text for c in first_part]))
    summary = indexer.run(Sources(paths=[articles]))
    assert summary.chunks_added == len(chunks) - 2 and summary.chunks_unchanged == 2
    assert snapshot(indexer.store) == {article.key: {c.id for c in chunks}}
    assert indexer.run(Sources(paths=[articles])).articles_unchanged == 1


def test_a_run_stopped_early_deletes_and_prunes_nothing_and_the_next_one_completes_it(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = write_stories(tmp_path / "articles", 3)
    indexer = make_indexer(tmp_path, embeddings)
    indexer.run(Sources(paths=[articles]))
    before = snapshot(indexer.store)
    (articles / "a2.txt").unlink()  # gone: a whole run with --prune would remove it
    write_article(articles, "a0.txt", "Story 0, updated")  # changed: its old chunks replaced

    def progress(summary: IndexSummary) -> None:
        if summary.articles_read == 1:
            indexer.stopping.set()  # as the shutdown does, while the run goes on

    stopped = indexer.run(Sources(paths=[articles]), prune=True, progress=progress)
    assert stopped.interrupted and "stopped before the end: shutting down" in stopped.describe()
    assert (stopped.articles_read, stopped.chunks_removed, stopped.articles_removed) == (1, 0, 0)
    assert snapshot(indexer.store) == before  # nothing deleted or pruned, nothing half-added
    indexer.stopping.clear()
    again = indexer.run(Sources(paths=[articles]), prune=True)
    assert not again.interrupted and again.articles_removed == 1
    fresh = make_indexer(tmp_path / "fresh", embeddings)
    fresh.run(Sources(paths=[articles]))
    assert snapshot(indexer.store) == snapshot(fresh.store)  # as a clean run leaves it
