"""What every handler gets in `context`: typed bot data and chat data, and properties for
what handlers use, as python-telegram-bot's `examples/contexttypesbot.py` does, instead of
string keys into dictionaries or long attribute chains. What must outlive the process or be
shared between replicas (conversation memory, rate limits, the answer log) is in the shared
database, reached through `context.state`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Message
from telegram.constants import ChatType
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.answering.conversation import Conversation, ConversationKey
from bot.answering.service import AnswerService
from bot.answering.transcription import Transcriber
from bot.redaction import Redactor
from bot.settings import Settings
from bot.state.shared import SharedState
from bot.telegram.limits import RateLimiter, RefusalOnce
from bot.wiring.bot import BotServices
from bot.wiring.transcription import build_transcriber
from index.store import ArticleStore

if TYPE_CHECKING:
    from aiohttp import web


class BotData:
    """The services every handler shares, set once by `build_application` through `attach`.
    python-telegram-bot creates this object itself (with no arguments), hence the two steps."""

    services: BotServices
    rate_limiter: RateLimiter
    refusals: RefusalOnce
    # One indexing run at a time: /reindex, uploads, links and the feed poll take turns.
    index_lock: asyncio.Lock
    # Voice messages' speech to text; None without an OpenAI-compatible LLM server.
    transcriber: Transcriber | None = None
    reindex_started: float | None = None  # time.monotonic() of the /reindex running
    # The server of /metrics and /healthz while it runs (`bot.telegram.monitoring`).
    monitoring: web.AppRunner | None = None

    def attach(self, services: BotServices) -> None:
        self.services = services
        windows = services.state.windows
        self.rate_limiter = RateLimiter(services.settings.rate_limit_per_minute, windows)
        self.refusals = RefusalOnce(windows)
        self.index_lock = asyncio.Lock()
        self.transcriber = build_transcriber(services.settings)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def state(self) -> SharedState:
        return self.services.state


@dataclass
class ChatData:
    """What the bot keeps per chat in this process: nothing yet (conversation memory is
    shared, in the database)."""


class Context(CallbackContext[ExtBot[None], dict[Any, Any], ChatData, BotData]):
    """The context handlers get, with the bot's services as properties."""

    @property
    def services(self) -> BotServices:
        return self.bot_data.services

    @property
    def settings(self) -> Settings:
        return self.bot_data.services.settings

    @property
    def state(self) -> SharedState:
        return self.bot_data.services.state

    @property
    def service(self) -> AnswerService:
        return self.bot_data.services.service

    @property
    def conversation(self) -> Conversation:
        return self.bot_data.services.conversation

    @property
    def store(self) -> ArticleStore:
        return self.bot_data.services.answering.store

    @property
    def redact(self) -> Redactor:
        return self.bot_data.services.redact


NewsdeskApplication = Application[ExtBot[None], Context, dict[Any, Any], ChatData, BotData, Any]


def context_types() -> ContextTypes[Context, dict[Any, Any], ChatData, BotData]:
    return ContextTypes(context=Context, chat_data=ChatData, bot_data=BotData)


def topic_of(message: Message) -> int | None:
    """The forum topic a message is in (its replies go there too); None outside topics."""
    return message.message_thread_id if message.is_topic_message else None


def conversation_key(message: Message) -> ConversationKey:
    """Whose memory a message's question belongs to: a private chat's, or in a group one
    person's in one forum topic, so that Bob's "and who leads them?" never follows Ann's
    question and topic B never follows topic A."""
    in_group = message.chat.type != ChatType.PRIVATE
    person = message.from_user.id if in_group and message.from_user else None
    return ConversationKey(message.chat_id, topic_of(message), person)
