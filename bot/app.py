"""The wiring: the store, keyword index, embeddings, answer service and indexer, built once
from Settings and handed as the same parts to every front end (CLI, local chat, Telegram,
eval). Nothing else in `bot/` turns Settings into parts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answering.chain import ChainParts
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.prompts import PromptLibrary
from bot.answering.retrieval import ChunkRetriever
from bot.answering.service import AnswerService
from bot.redaction import Redactor
from bot.settings import Settings
from bot.state.shared import SharedState, open_shared_state
from index.embeddings import (
    DEFAULT_BACKEND,
    SentenceTransformerEmbeddings,
    can_export,
    make_embeddings,
)
from index.ingest.fetch import FetchPolicy
from index.ingest.sources import Indexer
from index.keyword import KeywordIndex
from index.store import ArticleStore, open_store

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class Parts:
    """Everything a front end uses, sharing one store, keyword index and model, so the bot
    answers from what it just indexed."""

    settings: Settings
    store: ArticleStore
    keyword: KeywordIndex
    embeddings: SentenceTransformerEmbeddings
    service: AnswerService
    indexer: Indexer
    # The one redaction for everything shown or logged (bot/redaction.py).
    redact: Redactor


_opened: dict[str, SharedState] = {}
_opening = threading.Lock()


def open_state(settings: Settings) -> SharedState:
    """The shared state in NEWSDESK_DATABASE_URL (default SQLite under NEWSDESK_HOME), opened
    once per process: migrated to the newest schema, and the files older versions kept under
    NEWSDESK_HOME imported the first time."""
    url = settings.database_url
    with _opening:
        if url not in _opened:
            _opened[url] = open_shared_state(url, settings.home)
        return _opened[url]


def open_configured_store(settings: Settings) -> ArticleStore:
    return open_store(
        settings.collection,
        path=settings.chroma_dir,
        host=settings.chroma_host,
        port=settings.chroma_port,
    )


def open_keyword_index(settings: Settings) -> KeywordIndex:
    """The BM25 index for the configured store, kept under NEWSDESK_HOME (also in server
    mode, where each machine keeps its own copy, rebuilt from the server when out of step)."""
    where = f"{settings.chroma_host}-{settings.chroma_port}-" if settings.chroma_host else ""
    return KeywordIndex(settings.home / "keyword" / f"{where}{settings.collection}")


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        timeout_seconds=settings.fetch_timeout_seconds,
        max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
        allow_private=settings.allow_private_urls,
    )


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
        stored = store.count()  # before the record, as `ArticleStore.check_embedding` reads them
        recorded = store.recorded_embedding()
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


def build_service(
    settings: Settings,
    store: ArticleStore,
    keyword: KeywordIndex,
    embeddings: SentenceTransformerEmbeddings,
    *,
    chat_model: BaseChatModel | None = None,
    retrieve_k: int | None = None,
) -> AnswerService:
    """The answering path over the given parts. `retrieve_k`: passages to retrieve when more
    than NEWSDESK_TOP_K are wanted (eval measures Hit@10); the answer uses the top k."""
    # Versions live in the shared database; NEWSDESK_PROMPTS_DIR holds the shipped defaults.
    prompts = PromptLibrary(settings.prompts_dir, open_state(settings).prompts)
    prompts.notice_all_edits()
    if chat_model is None and settings.llm:
        from bot.answering.llm import make_chat_model

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        chat_model = make_chat_model(
            settings.llm, key, settings.llm_base_url, settings.llm_timeout_seconds
        )
    reranker = None
    if settings.reranker:
        from bot.answering.rerank import make_reranker

        reranker = make_reranker(settings.reranker)
    retriever = ChunkRetriever(
        store=store,
        embeddings=embeddings,
        keyword=keyword.search,
        k=max(settings.top_k, retrieve_k or 0),
        reranker=reranker,
    )
    spelling = None
    if keyword is not None:
        from functools import partial

        from bot.answering.spelling import correct_spelling
        from index.embeddings import bundled_words

        spelling = partial(
            correct_spelling,
            vocabulary=keyword.vocabulary,
            english=bundled_words(),
        )
    for_sentences = sentence_embeddings(settings, embeddings)
    chain_parts = ChainParts(
        retriever=retriever,
        extractive=ExtractiveAnswerer(for_sentences),
        prompts=prompts,
        min_relevance=settings.min_relevance,
        max_question_chars=settings.max_question_chars,
        top_k=settings.top_k,
        chat_model=chat_model,
        spelling=spelling,
        embeddings=embeddings,
        # The answerer's question vector, made beside retrieval's when the models differ
        # (BENCHMARKS.md, "The answerer's question beside retrieval").
        warm=for_sentences.embed_query if for_sentences is not embeddings else None,
    )
    return AnswerService(store, chain_parts)


def build_parts(
    settings: Settings,
    *,
    store: ArticleStore | None = None,
    keyword: KeywordIndex | None = None,
    embeddings: SentenceTransformerEmbeddings | None = None,
    chat_model: BaseChatModel | None = None,
    retrieve_k: int | None = None,
    lazy_model: bool = False,
    redact: Redactor | None = None,
) -> Parts:
    """Every part from settings; parts passed in are used as they are. The keyword index is
    brought in step with the store here, before any question. With `lazy_model` the model is
    loaded only when something needs embedding (indexing an unchanged source needs none).
    `redact` defaults to the secrets among the settings; the CLI adds the environment's."""
    store = store or open_configured_store(settings)
    keyword = keyword if keyword is not None else open_keyword_index(settings)
    keyword.sync.catch_up(store)
    embeddings = embeddings or configured_embeddings(settings, store, lazy=lazy_model)
    store.check_embedding(embeddings.identity)
    service = build_service(
        settings, store, keyword, embeddings, chat_model=chat_model, retrieve_k=retrieve_k
    )
    indexer = Indexer(
        store=store,
        embeddings=embeddings,
        keyword=keyword.sync,
        fetch_policy=fetch_policy(settings),
        max_article_chars=settings.max_article_chars,
    )
    redact = redact or Redactor(settings.secrets())
    return Parts(settings, store, keyword, embeddings, service, indexer, redact)


def build_indexer(settings: Settings, *, store: ArticleStore | None = None) -> Indexer:
    """The indexing side alone, for `newsdesk index`: the model is loaded only if something
    needs embedding, and the keyword index is synced by the run itself."""
    store = store or open_configured_store(settings)
    embeddings = configured_embeddings(settings, store, lazy=True)
    store.check_embedding(embeddings.identity)
    return Indexer(
        store=store,
        embeddings=embeddings,
        keyword=open_keyword_index(settings).sync,
        fetch_policy=fetch_policy(settings),
        max_article_chars=settings.max_article_chars,
    )
