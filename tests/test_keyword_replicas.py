"""Replicas sharing one real Chroma server (`chroma run`): each keeps its own keyword index,
and notices through the store's generation any change another process made, including one
that keeps the chunk count or every chunk id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.articles import Article
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.support.chroma_server import running_chroma


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with running_chroma(tmp_path_factory.mktemp("chroma-replicas")) as port:
        yield port


def story(bridge: str, title: str = "Council meets") -> Article:
    text = (
        "The council of Tal Sufouq met on Monday and elected Ahmed Jabouri as its new mayor. "
        f"He promised to rebuild the {bridge} bridge before the summer."
    )
    return Article(key="urn:council", title=title, text=text, origin="wire")


def two_stores(port: int, name: str = "") -> tuple[ArticleStore, ArticleStore]:
    """The indexer's and a replica's clients of one collection on the server."""
    name = name or f"replicas-{uuid.uuid4().hex[:8]}"
    return (
        open_store(name, host="127.0.0.1", port=port),
        open_store(name, host="127.0.0.1", port=port),
    )


def finds(keyword: KeywordIndex, word: str) -> bool:
    return bool(keyword.search.search(word, 5))


def test_a_replica_finds_a_word_another_process_indexed_with_the_same_chunk_count(
    chroma_port: int, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    indexer_store, replica_store = two_stores(chroma_port)
    indexer_keyword = KeywordIndex(tmp_path / "indexer")
    replica_keyword = KeywordIndex(tmp_path / "replica")
    index_articles([story("Qairawan")], indexer_store, embeddings, keyword=indexer_keyword.sync)
    assert replica_keyword.sync.catch_up(replica_store)
    assert finds(replica_keyword, "Qairawan")
    chunks, generation = replica_store.count(), replica_store.generation()
    assert not replica_keyword.sync.catch_up(replica_store), "nothing changed: nothing to do"

    index_articles([story("Kharsabad")], indexer_store, embeddings, keyword=indexer_keyword.sync)
    assert replica_store.count() == chunks, "the same chunk count"
    assert replica_store.generation() != generation
    assert not finds(replica_keyword, "Kharsabad"), "searching never syncs"
    assert replica_keyword.sync.catch_up(replica_store)
    assert finds(replica_keyword, "Kharsabad") and not finds(replica_keyword, "Qairawan")
    assert replica_keyword.folder.count() == chunks
    # The indexer's own run kept its index in step: its next refresh has nothing to do.
    assert not indexer_keyword.sync.catch_up(indexer_store)
    assert finds(indexer_keyword, "Kharsabad")


def test_a_rewrite_keeping_every_chunk_id_is_noticed(
    chroma_port: int, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    indexer_store, replica_store = two_stores(chroma_port)
    index_articles([story("Qairawan")], indexer_store, embeddings)
    replica_keyword = KeywordIndex(tmp_path / "replica")
    replica_keyword.sync.catch_up(replica_store)
    ids = set(replica_keyword.folder.ids())
    # Another process rewrites the chunks in place: the same ids, the same count.
    rewritten = [replace(c, title="Zumar council") for c in indexer_store.all_chunks()]
    indexer_store.update_metadata(rewritten)
    assert set(indexer_store.all_ids()) == ids
    assert not finds(replica_keyword, "Zumar")
    assert replica_keyword.sync.catch_up(replica_store)
    assert finds(replica_keyword, "Zumar") and set(replica_keyword.folder.ids()) == ids


def test_every_write_changes_the_generation(fresh_store: ArticleStore) -> None:
    seen = {fresh_store.generation()}
    assert seen == {""}, "a new store has none"
    from index.chunking import chunk_article

    chunks = chunk_article(story("Qairawan"))
    fresh_store.add(chunks, [[1.0] + [0.0] * 383 for _ in chunks])
    seen.add(fresh_store.generation())
    fresh_store.update_metadata(chunks)
    seen.add(fresh_store.generation())
    fresh_store.delete([chunks[0].id])
    seen.add(fresh_store.generation())
    fresh_store.delete([])  # nothing written: the same generation
    seen.add(fresh_store.generation())
    assert len(seen) == 4
    assert fresh_store.generation().startswith("3-")


def test_a_write_that_left_the_stamp_as_it_was_is_caught_by_the_thorough_refresh(
    chroma_port: int, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    import chromadb

    name = f"replicas-{uuid.uuid4().hex[:8]}"
    indexer_store, replica_store = two_stores(chroma_port, name)
    index_articles([story("Qairawan")], indexer_store, embeddings)
    replica_keyword = KeywordIndex(tmp_path / "replica")
    replica_keyword.sync.catch_up(replica_store)
    assert finds(replica_keyword, "Qairawan")
    # A client that doesn't keep the stamp (a newsdesk from before it, or one killed between
    # its write and its stamp) removes the article's chunks.
    raw = chromadb.HttpClient(host="127.0.0.1", port=chroma_port).get_collection(name)
    raw.delete(ids=raw.get(include=[])["ids"])
    assert not replica_keyword.sync.catch_up(replica_store), "the cheap refresh sees the same stamp"
    assert finds(replica_keyword, "Qairawan")
    assert replica_keyword.sync.catch_up(replica_store, thorough=True)
    assert not finds(replica_keyword, "Qairawan") and replica_keyword.folder.count() == 0
