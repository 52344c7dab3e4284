"""question -> retrieval -> answer: the one path the CLI, the local chat and Telegram share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from bot.answers import Answer
from bot.extractive import ExtractiveAnswerer
from bot.followups import ChatMemory, condense
from bot.prompts import PromptLibrary
from bot.retrieval import ChunkRetriever
from bot.settings import Settings
from index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from index.fetch import FetchPolicy
from index.keyword import KeywordIndex
from index.sources import Indexer
from index.store import ArticleStore, open_store

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Answerer = Callable[[str, list[Document]], Answer]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class QuestionError(Exception):
    """The question can't be asked as it is; the message is shown to the user."""


@dataclass
class AnswerService:
    store: ArticleStore
    retriever: ChunkRetriever
    answerer: Answerer
    prompts: PromptLibrary
    min_relevance: float
    max_question_chars: int
    top_k: int
    chat_model: BaseChatModel | None = None

    def prompt_version(self) -> str:
        """Which prompt made the answers: the answer template's version, or no LLM at all."""
        if self.chat_model is None:
            return "extractive (no LLM)"
        self.prompts.template("answer")
        versions = self.prompts.history("answer")
        return f"answer v{versions[-1].number}" if versions else "answer (unversioned)"

    def standalone(self, question: str, memory: ChatMemory) -> str:
        """The question rewritten to stand on its own if it follows up on the chat's last ones."""
        return condense(question, memory, self.chat_model, self.prompts)

    def answer(self, question: str, as_of: date | None = None) -> Answer:
        """A cited answer, or a refusal when no passage is relevant enough to the question.
        `as_of`: answer as on that date (later articles left out); default today."""
        return self.answer_with_passages(question, as_of)[0]

    def answer_with_passages(
        self, question: str, as_of: date | None = None
    ) -> tuple[Answer, list[Document]]:
        """The answer and every passage retrieved for it (the retriever may fetch more than
        the top_k the answer is built from, as `newsdesk eval` does to measure Hit@10)."""
        question = " ".join(_CONTROL.sub(" ", question).split())
        if not question:
            raise QuestionError("Please send your question as text.")
        if len(question) > self.max_question_chars:
            raise QuestionError(
                f"That question is {len(question):,} characters long; please keep it under "
                f"{self.max_question_chars:,} characters."
            )
        documents = self.retriever.invoke(question, as_of=as_of)
        relevant = [
            doc
            for doc in documents[: self.top_k]
            if doc.metadata["relevance"] >= self.min_relevance
        ]
        if not relevant:
            return Answer(question, self.prompts.render("refusal"), refused=True), documents
        return self.answerer(question, relevant), documents

    def help_text(self) -> str:
        """What the bot knows and how to ask, from `prompts/help.txt`."""
        overview = self.store.overview()
        return self.prompts.render(
            "help",
            articles=f"{overview.articles:,} article{'' if overview.articles == 1 else 's'}",
            latest=overview.latest_published or "undated",
        )


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


def build_service(
    settings: Settings,
    *,
    store: ArticleStore | None = None,
    keyword: KeywordIndex | None = None,
    embeddings: SentenceTransformerEmbeddings | None = None,
    chat_model: BaseChatModel | None = None,
) -> AnswerService:
    """Wire the answering path from settings; parts passed in are used as they are."""
    store = store or open_configured_store(settings)
    if keyword is None:
        keyword = open_keyword_index(settings)
    keyword.sync(store)
    embeddings = embeddings or make_embeddings(settings.embedding_model)
    prompts = PromptLibrary(settings.prompts_dir, settings.home / "prompt-history")
    if chat_model is None and settings.llm:
        from bot.llm import make_chat_model

        chat_model = make_chat_model(settings.llm)
    reranker = None
    if settings.reranker:
        from bot.rerank import make_reranker

        reranker = make_reranker(settings.reranker)
    answerer: Answerer
    if chat_model is not None:
        from bot.llm import LLMAnswerer

        answerer = LLMAnswerer(chat_model, prompts)
    else:
        answerer = ExtractiveAnswerer(embeddings)
    return AnswerService(
        store=store,
        retriever=ChunkRetriever(
            store=store,
            embeddings=embeddings,
            keyword=keyword,
            k=settings.top_k,
            reranker=reranker,
        ),
        answerer=answerer,
        prompts=prompts,
        min_relevance=settings.min_relevance,
        max_question_chars=settings.max_question_chars,
        top_k=settings.top_k,
        chat_model=chat_model,
    )


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        timeout_seconds=settings.fetch_timeout_seconds,
        max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
        allow_private=settings.allow_private_urls,
    )


def build_indexer(
    settings: Settings,
    *,
    store: ArticleStore | None = None,
    keyword: KeywordIndex | None = None,
    embeddings: SentenceTransformerEmbeddings | None = None,
) -> Indexer:
    """The indexing side, sharing the answering side's parts when they are given, so the bot
    answers from what it just indexed. The model is loaded only if something needs embedding."""
    return Indexer(
        store=store or open_configured_store(settings),
        embeddings=embeddings or make_embeddings(settings.embedding_model, lazy=True),
        keyword=keyword if keyword is not None else open_keyword_index(settings),
        fetch_policy=fetch_policy(settings),
    )
