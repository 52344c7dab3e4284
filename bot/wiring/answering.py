"""`build_answering`: the store, keyword index, embeddings and the answer service over them,
and nothing else. It writes nothing: the keyword index is searched as it is, the embeddings
record and the prompt versions are read, no database is created or migrated. A one-off
`newsdesk ask` is this alone; a long-running bot adds its upkeep (`bot.wiring.bot`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bot.answering.chain_states import ChainSetup
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.language import LanguageDetector
from bot.answering.prompts import MemoryPromptStore, PromptLibrary, PromptStore, PromptVersion
from bot.answering.retrieval import ChunkRetriever
from bot.answering.service import AnswerService
from bot.redaction import Redactor
from bot.settings import Settings
from bot.wiring.stores import (
    configured_embeddings,
    open_article_store,
    open_keyword_index,
    sentence_embeddings,
)
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.store import ArticleStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class Answering:
    """What answering questions uses: one store, keyword index and model, shared with an
    indexer in the same process so the bot answers from what it just indexed."""

    settings: Settings
    store: ArticleStore
    keyword: KeywordIndex
    embeddings: SentenceTransformerEmbeddings
    service: AnswerService
    # The one redaction for everything shown or logged (bot/redaction.py).
    redact: Redactor


def build_answering(
    settings: Settings,
    *,
    store: ArticleStore | None = None,
    keyword: KeywordIndex | None = None,
    embeddings: SentenceTransformerEmbeddings | None = None,
    sentences: SentenceTransformerEmbeddings | None = None,
    prompt_store: PromptStore | None = None,
    chat_model: BaseChatModel | None = None,
    retrieve_k: int | None = None,
    lazy_model: bool = False,
    redact: Redactor | None = None,
) -> Answering:
    """The answering side from settings; parts passed in are used as they are.
    `prompt_store`: where prompt versions are kept (default: the shared database's, read as
    it is). `retrieve_k`: passages to retrieve when more than NEWSDESK_TOP_K are wanted (eval
    measures Hit@10). With `lazy_model` the model loads at the first question. `sentences`:
    what the extractive answerer embeds with (default `sentence_embeddings`)."""
    store = store or open_article_store(settings)
    keyword = keyword if keyword is not None else open_keyword_index(settings)
    embeddings = embeddings or configured_embeddings(settings, store, lazy=lazy_model)
    store.check_embedding(embeddings.identity, record=False)
    if prompt_store is None:
        prompt_store = read_prompt_versions(settings)
    service = build_service(
        settings,
        store,
        keyword,
        embeddings,
        PromptLibrary(settings.prompts_dir, prompt_store),
        chat_model=chat_model,
        retrieve_k=retrieve_k,
        sentences=sentences,
    )
    redact = redact or Redactor(settings.secrets())
    return Answering(settings, store, keyword, embeddings, service, redact)


def read_prompt_versions(settings: Settings) -> PromptStore | None:
    """The prompt versions published so far, read from the shared database without creating
    or migrating it; None (the shipped defaults alone) when there is no database yet. The
    default SQLite file is opened at the first read (`PromptVersionsOnFirstRead`); a database
    NEWSDESK_DATABASE_URL names is opened now, so a malformed URL stops the command at once."""
    if settings.database_url_setting is None:
        if not settings.default_database_file.exists():
            return None  # known without importing SQLAlchemy, a quarter of a second
        return PromptVersionsOnFirstRead(settings.database_url)
    return opened_prompt_versions(settings.database_url)


def opened_prompt_versions(url: str) -> PromptStore | None:
    from bot.state.database import existing_database
    from bot.state.prompts import DatabasePromptStore

    database = existing_database(url)
    return DatabasePromptStore(database) if database is not None else None


class PromptVersionsOnFirstRead:
    """The shared database's prompt versions, opened when a template is first read. An
    extractive answer reads none (only a refusal, a follow-up's rewrite or an LLM's answer
    does), so a one-off question answered on a home with a database imports no SQLAlchemy
    (0.2 s, BENCHMARKS.md, "Start-up without torch"). A SQLite file removed before the first
    read reads as no versions, as at start-up."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: PromptStore | None = None
        self._opening = threading.Lock()  # the bot's answer threads may read it at once

    def history(self, name: str) -> list[PromptVersion]:
        return self._opened().history(name)

    def latest(self, name: str) -> PromptVersion | None:
        return self._opened().latest(name)

    def add(
        self, name: str, text: str, author: str, note: str, *, from_default: bool
    ) -> PromptVersion:
        return self._opened().add(name, text, author, note, from_default=from_default)

    def _opened(self) -> PromptStore:
        with self._opening:
            if self._store is None:
                self._store = opened_prompt_versions(self.url) or MemoryPromptStore()
            return self._store


def build_service(
    settings: Settings,
    store: ArticleStore,
    keyword: KeywordIndex,
    embeddings: SentenceTransformerEmbeddings,
    prompts: PromptLibrary,
    *,
    chat_model: BaseChatModel | None = None,
    retrieve_k: int | None = None,
    sentences: SentenceTransformerEmbeddings | None = None,
) -> AnswerService:
    """The answer chain over the given parts: retriever, answerer (the LLM NEWSDESK_LLM names,
    else extractive), spelling correction and the prompts."""
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
    from bot.answering.spelling import correct_spelling
    from index.embeddings import bundled_words

    spelling = partial(
        correct_spelling,
        vocabulary=keyword.vocabulary,
        english=bundled_words(),
    )
    for_sentences = sentences or sentence_embeddings(settings, embeddings)
    chain_setup = ChainSetup(
        retriever=retriever,
        extractive=ExtractiveAnswerer(for_sentences),
        prompts=prompts,
        min_relevance=settings.min_relevance,
        max_question_chars=settings.max_question_chars,
        top_k=settings.top_k,
        stale_days=settings.stale_days,
        chat_model=chat_model,
        spelling=spelling,
        embeddings=embeddings,
        # The answerer's question vector, made beside retrieval's when the models differ
        # (BENCHMARKS.md, "The answerer's question beside retrieval").
        warm=for_sentences.embed_query if for_sentences is not embeddings else None,
        detect=LanguageDetector(settings.models_dir).detect,
        localize=translated_line,
    )
    return AnswerService(store, chain_setup)


def translated_line(text: str, language: str) -> str:
    """One of the bot's own lines (the shipped refusal) in `language`, from the catalogs of
    `bot.translation`, read only when a translation could ship; anything else (an
    edited refusal, a language without a catalog) as it is."""
    if language == "en":
        return text  # without importing the catalogs' reader (Babel) for a one-off ask
    from bot.translation import translations

    return translations(language).gettext(text)
