"""Collections (issue 29, per-chat sources) in the index: articles indexed into a collection
carry it in every chunk's store metadata and in the keyword index, scoped retrieval keeps to
it in both searches, the catalog counts and lists by it, an article moves between
collections without being embedded again, bad names are refused, and a store built before
collections (chunks with no collection, written the old way straight into Chroma) keeps
working: read-only as `main`, then given `main` once by the first writer. Real Chroma, real
tantivy, the real model."""

from __future__ import annotations

from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings

from bot.answering.retrieval import ChunkRetriever
from bot.wiring.bot import build_bot
from index.articles import Article
from index.catalog import collection_counts, list_page
from index.chroma_client import open_store
from index.chunking import chunk_article
from index.collections import (
    MAX_COLLECTION_CHARS,
    CollectionNameError,
    check_collection_name,
    scope_of,
)
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.records import chunk_metadata
from index.scoping import collections_recorded, record_collections
from index.store import COLLECTIONS_KEY, ArticleStore
from index.writer_lock import WriterLock
from tests.conftest import make_settings

MAYOR = Article(
    key="mayor",
    title="Mayor elected in Tal Sufouq",
    text="Ahmed Jabouri was elected mayor of Tal Sufouq on Friday by the town council.",
    published="2026-11-02",
)
FERRY = Article(
    key="ferry",
    title="Ferry runs again near Tal Sufouq",
    text="The ferry between Baaj and Tal Sufouq ran again on Tuesday; its captain is Omar Sabri.",
    published="2026-11-03",
)
QUESTION = "what happened in Tal Sufouq?"


def keys(retriever: ChunkRetriever, collections: tuple[str, ...] | None) -> set[str]:
    found = retriever.invoke(QUESTION, collections=collections)
    return {str(doc.metadata["article_key"]) for doc in found}


def in_collection(article: Article, name: str) -> Article:
    return Article(**{**article.__dict__, "collection": name})


def stored_collections(store: ArticleStore) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for _, meta in store.all_metadata():
        found.setdefault(str(meta["article"]), set()).add(str(meta.get("collection")))
    return found


@pytest.mark.parametrize(
    ("name", "kept"),
    [("main", "main"), ("  Arabic-Desk ", "arabic-desk"), ("wire_2", "wire_2"), ("9", "9")],
)
def test_a_collection_name_is_kept_lowercased_and_stripped(name: str, kept: str) -> None:
    assert check_collection_name(name) == kept


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "can't be empty"),
        ("   ", "can't be empty"),
        ("x" * 5000, f"at most {MAX_COLLECTION_CHARS} characters, not 5,000"),
        ("arabic desk", "is not a collection name"),
        ("-desk", "is not a collection name"),
        ("desk/../x", "is not a collection name"),
        ("d\x00sk", "is not a collection name"),
        ("ملف", "is not a collection name"),
        ("ALL", "means every collection"),
    ],
)
def test_a_bad_collection_name_is_refused_saying_why(name: str, says: str) -> None:
    with pytest.raises(CollectionNameError, match=says):
        check_collection_name(name)
    with pytest.raises(CollectionNameError):
        scope_of(["main", name])


def test_scoped_retrieval_keeps_to_the_collections_in_both_searches(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    keyword = KeywordIndex(tmp_path / "keyword")
    articles = [in_collection(MAYOR, "politics"), in_collection(FERRY, "transport")]
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)
    assert stored_collections(fresh_store) == {"mayor": {"politics"}, "ferry": {"transport"}}
    assert collections_recorded(fresh_store)
    retriever = ChunkRetriever(store=fresh_store, embeddings=embeddings, keyword=keyword.search)
    assert keys(retriever, None) == {"mayor", "ferry"}
    assert keys(retriever, ("politics",)) == {"mayor"}
    assert keys(retriever, ("transport",)) == {"ferry"}
    assert keys(retriever, ("politics", "transport")) == {"mayor", "ferry"}
    assert keys(retriever, ("sports",)) == set()
    # Each search on its own: the keyword index and the vector search both filter.
    boat = keyword.search.search("ferry captain Omar Sabri", 10, ("politics",))
    assert boat == []
    assert keyword.search.search("ferry captain Omar Sabri", 10, ("transport",))
    vector = embeddings.embed_query("ferry captain")
    where = {"collection": {"$in": ["politics"]}}
    near = fresh_store.get_chunks([i for i, _ in fresh_store.nearest(vector, 10, where)])
    assert {chunk.article_key for chunk in near} == {"mayor"}
    # The catalog counts and lists by collection.
    assert collection_counts(fresh_store) == {"politics": 1, "transport": 1}
    page = list_page(fresh_store, collections=("transport",))
    assert [a.key for a in page.articles] == ["ferry"] and page.total == 1
    assert page.heading().startswith("articles in transport: 1-1 of 1")
    assert list_page(fresh_store, collections=("sports",)).heading() == "no articles in sports"


def test_an_article_moves_collection_without_being_embedded_again_and_otherwise_stays(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    keyword = KeywordIndex(tmp_path / "keyword")
    index_articles(
        [in_collection(MAYOR, "politics")], fresh_store, embeddings, keyword=keyword.sync
    )
    # Indexed again naming no collection (/reindex, a plain `newsdesk index`): it stays.
    again = index_articles([MAYOR], fresh_store, embeddings, keyword=keyword.sync)
    assert again.articles_unchanged == 1 and again.chunks_added == 0
    assert stored_collections(fresh_store) == {"mayor": {"politics"}}
    # Named another: moved, its vectors kept, in the keyword index too.
    moved = index_articles([in_collection(MAYOR, "local")], fresh_store, embeddings,
                           keyword=keyword.sync)  # fmt: skip
    assert moved.articles_changed == 1 and moved.chunks_added == 0 and moved.added_keys == []
    assert stored_collections(fresh_store) == {"mayor": {"local"}}
    assert keyword.search.search("Jabouri", 5, ("politics",)) == []
    assert keyword.search.search("Jabouri", 5, ("local",))
    # A new article naming none goes into main.
    index_articles([FERRY], fresh_store, embeddings, keyword=keyword.sync)
    assert stored_collections(fresh_store)["ferry"] == {"main"}


def old_store(path: Path, embeddings: SentenceTransformerEmbeddings) -> ArticleStore:
    """A store as the code before collections wrote it: the chunks' metadata without a
    collection, and no record that collections were given, written straight into Chroma."""
    store = open_store("old-articles", path=path)
    store.check_embedding(embeddings.identity)
    chunks = chunk_article(MAYOR)
    old_metadata = []
    for chunk in chunks:
        meta = chunk_metadata(chunk)
        del meta["collection"]
        old_metadata.append(meta)
    quiet = Settings(anonymized_telemetry=False)  # as index/chroma_client.py opens it
    raw = chromadb.PersistentClient(path=str(path), settings=quiet).get_collection("old-articles")
    raw.add(
        ids=[chunk.id for chunk in chunks],
        embeddings=embeddings.embed_documents([c.embedding_text for c in chunks]),  # type: ignore[arg-type]
        documents=[chunk.text for chunk in chunks],
        metadatas=old_metadata,  # type: ignore[arg-type]
    )
    return open_store("old-articles", path=path)


def test_a_store_from_before_collections_is_main_read_only_then_given_main_once(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    store = old_store(tmp_path / "chroma", embeddings)
    assert stored_collections(store) == {"mayor": {"None"}}
    assert not collections_recorded(store)
    # Read as it is (a one-off `newsdesk ask` writes nothing): every chunk is main's.
    keyword = KeywordIndex(tmp_path / "keyword")
    keyword.sync.catch_up(store)
    retriever = ChunkRetriever(store=store, embeddings=embeddings, keyword=keyword.search)
    assert keys(retriever, None) == {"mayor"}
    assert keys(retriever, ("main",)) == {"mayor"}
    assert keys(retriever, ("main", "transport")) == {"mayor"}
    assert keys(retriever, ("transport",)) == set()
    assert collection_counts(store) == {"main": 1}
    assert stored_collections(store) == {"mayor": {"None"}}  # nothing was written
    # The first indexing run gives the old chunks main, once, and records that it did.
    index_articles([in_collection(FERRY, "transport")], store, embeddings, keyword=keyword.sync)
    assert stored_collections(store) == {"mayor": {"main"}, "ferry": {"transport"}}
    assert store.stored_metadata()[COLLECTIONS_KEY] == "1"
    assert record_collections(store) == 0  # done already
    reopened = open_store("old-articles", path=tmp_path / "chroma")
    retriever = ChunkRetriever(store=reopened, embeddings=embeddings, keyword=keyword.search)
    assert keys(retriever, ("main",)) == {"mayor"}
    assert keys(retriever, ("transport",)) == {"ferry"}
    assert keys(retriever, None) == {"mayor", "ferry"}


def test_a_bot_on_a_store_from_before_collections_answers_while_they_are_recorded(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    settings = make_settings(tmp_path)
    store = old_store(settings.chroma_dir, embeddings)
    # Another process's indexing run holds the writer lock: the one-time record waits for
    # it, in the background, and the bot answers meanwhile, every chunk read as main's.
    with WriterLock(settings.chroma_dir).held():
        bot = build_bot(settings, store=store, embeddings=embeddings)
        assert bot.keyword_catch_up.running
        assert not collections_recorded(store)
        answer = bot.service.answer("who was elected mayor of Tal Sufouq?")
        assert not answer.refused and "Jabouri" in answer.answer
    assert bot.keyword_catch_up.wait(60)
    assert collections_recorded(store)
    assert stored_collections(store) == {"mayor": {"main"}}
    assert bot.answering.keyword.folder.count() == store.count()
