"""`build_bot`: what a long-running bot (Telegram, or the local chat) runs with: the answering
side, an indexer sharing its store and model, the shared state, and the conversation turn
over them. It does the upkeep a one-off command skips: the database is migrated, the keyword
index brought in step with the store (in the background when that is a rebuild), and edits to
the shipped prompts recorded."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answering.conversation import Conversation, MemoryInProcess
from bot.answering.service import AnswerService
from bot.redaction import Redactor
from bot.settings import Settings
from bot.state.shared import SharedState
from bot.telemetry import Telemetry
from bot.wiring.answering import Answering, build_answering
from bot.wiring.indexing import build_indexer
from bot.wiring.state import open_state
from bot.wiring.stores import configured_embeddings, open_article_store, open_keyword_index
from index.embeddings import SentenceTransformerEmbeddings
from index.indexer import Indexer
from index.keyword import KeywordIndex
from index.keyword.background import BackgroundCatchUp
from index.scoping import collections_recorded, record_collections
from index.store import ArticleStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class BotServices:
    """Everything the bot's handlers use."""

    answering: Answering
    indexer: Indexer
    state: SharedState
    # Memory in the shared database, every answer recorded in the answer log.
    conversation: Conversation
    # This bot's metrics, in a registry of its own (served on NEWSDESK_METRICS_PORT).
    telemetry: Telemetry
    # The keyword index's catch-up with the store begun at start-up, running while a rebuild
    # (the periodic refresh leaves the index to it meanwhile).
    keyword_catch_up: BackgroundCatchUp

    @property
    def settings(self) -> Settings:
        return self.answering.settings

    @property
    def service(self) -> AnswerService:
        return self.answering.service

    @property
    def redact(self) -> Redactor:
        return self.answering.redact


def build_bot(
    settings: Settings,
    *,
    store: ArticleStore | None = None,
    keyword: KeywordIndex | None = None,
    embeddings: SentenceTransformerEmbeddings | None = None,
    chat_model: BaseChatModel | None = None,
    redact: Redactor | None = None,
) -> BotServices:
    """The bot's parts from settings; parts passed in are used as they are."""
    state = open_state(settings)
    store = store or open_article_store(settings)
    keyword = keyword if keyword is not None else open_keyword_index(settings)
    # Once, on a store from before collections, in the background: until it is done every
    # chunk reads as `main` (index/scoping.py), so answers are the same meanwhile.
    upgrade = None if collections_recorded(store) else functools.partial(record_collections, store)
    catch_up = BackgroundCatchUp(keyword.sync, store, prepare=upgrade)
    catch_up.start()
    embeddings = embeddings or configured_embeddings(settings, store)
    indexer = build_indexer(
        settings,
        store=store,
        keyword=keyword,
        embeddings=embeddings,
        entry_retries=state.feed_entry_failures,
    )
    answering = build_answering(
        settings,
        store=store,
        keyword=keyword,
        embeddings=embeddings,
        prompt_store=state.prompts,
        chat_model=chat_model,
        redact=redact,
    )
    answering.service.prompts.notice_all_edits()
    telemetry = Telemetry()
    telemetry.gauges.index_chunks = store.count
    telemetry.gauges.jobs = state.jobs.depth
    conversation = Conversation(
        answering.service, state.memory, state.answers, telemetry, scopes=state.sources
    )
    return BotServices(answering, indexer, state, conversation, telemetry, catch_up)


def build_local_chat(answering: Answering) -> Conversation:
    """The local chat's conversation: memory in this process, no answer log. A chat runs for
    long, so its keyword index is brought in step with the store (another machine may have
    indexed into a Chroma server), in the background when that is a rebuild."""
    BackgroundCatchUp(answering.keyword.sync, answering.store).start()
    return Conversation(answering.service, MemoryInProcess())
