"""The article store, keyword index and embeddings the settings name, each opened on its own,
so that a command opens only the ones it uses (the shared state is `state.py`'s)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from index.chroma_client import open_store
from index.embeddings import (
    DEFAULT_BACKEND,
    SentenceTransformerEmbeddings,
    can_export,
    make_embeddings,
)
from index.keyword import KeywordIndex
from index.store import ArticleStore


def open_article_store(settings: Settings) -> ArticleStore:
    return open_store(
        settings.collection,
        path=settings.chroma_dir,
        host=settings.chroma_host,
        port=settings.chroma_port,
        writer_wait_seconds=settings.index_wait_seconds,
    )


def open_keyword_index(settings: Settings) -> KeywordIndex:
    """The BM25 index for the configured store, kept under NEWSDESK_HOME (also in server
    mode, where each machine keeps its own copy, rebuilt from the server when out of step)."""
    return KeywordIndex(keyword_index_folder(settings))


def keyword_index_folder(settings: Settings) -> Path:
    """Where `open_keyword_index` keeps it (found without opening it: a backup names it)."""
    where = f"{settings.chroma_host}-{settings.chroma_port}-" if settings.chroma_host else ""
    return settings.home / "keyword" / f"{where}{settings.collection}"


def configured_embeddings(
    settings: Settings, store: ArticleStore, *, lazy: bool = False
) -> SentenceTransformerEmbeddings:
    """The embeddings for `store`: NEWSDESK_EMBEDDING_BACKEND, or with auto the backend the
    store was built with (torch for a store from before backends were recorded), and for a new
    store DEFAULT_BACKEND, if the model is a local folder ONNX can be exported from. A store
    of torch vectors is then searched with ONNX fp32, which makes the same vectors faster
    (BENCHMARKS.md, "Embedding backends")."""
    backend = settings.embedding_backend
    if backend == "auto":
        exportable = can_export(settings.embedding_model)
        recorded, stored = store.embedding_record()
        if recorded is not None:
            backend = recorded.rsplit("/", 1)[1]
        elif stored or not exportable:
            backend = "torch"
        else:
            backend = DEFAULT_BACKEND
        if backend == "torch" and exportable:
            backend = "onnx"
    return make_embeddings(
        settings.embedding_model, backend=backend, cache_dir=settings.models_dir, lazy=lazy
    )


def sentence_embeddings(
    settings: Settings, embeddings: SentenceTransformerEmbeddings
) -> SentenceTransformerEmbeddings:
    """What the extractive answerer embeds its question and sentences with: the store's
    embeddings, except that int8 chunks still get fp32 sentences. int8 keeps retrieval's
    Hit@4 but chose the answering sentence worse on rtqa-val (BENCHMARKS.md, "The default:
    int8 with 7-bit weights"); the price is the question embedded twice, once per model."""
    if embeddings.backend != "onnx-int8":
        return embeddings
    return make_embeddings(
        settings.embedding_model, backend="onnx", cache_dir=settings.models_dir, lazy=True
    )
