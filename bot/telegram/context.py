"""What every handler gets in `context`: typed bot and chat data, as python-telegram-bot's
`examples/contexttypesbot.py` does, instead of string keys into dictionaries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.answering.followups import ChatMemory
from bot.app import Parts
from bot.telegram.access import RateLimiter, RefusalOnce
from bot.telegram.answer_log import AnswerLog


class BotData:
    """The parts every handler shares, set once by `build_application` through `attach`.
    python-telegram-bot creates this object itself (with no arguments), hence the two steps."""

    parts: Parts
    answer_log: AnswerLog
    rate_limiter: RateLimiter
    refusals: RefusalOnce
    # One indexing run at a time: /reindex, uploads, links and the feed poll take turns.
    index_lock: asyncio.Lock
    reindex_started: float | None = None  # time.monotonic() of the /reindex running

    def attach(self, parts: Parts, answer_log: AnswerLog) -> None:
        self.parts = parts
        self.answer_log = answer_log
        self.rate_limiter = RateLimiter(parts.settings.rate_limit_per_minute)
        self.refusals = RefusalOnce()
        self.index_lock = asyncio.Lock()


@dataclass
class ChatData:
    """What the bot keeps per chat: the last questions, for follow-ups."""

    memory: ChatMemory = field(default_factory=ChatMemory)


Context = CallbackContext[ExtBot[None], dict[Any, Any], ChatData, BotData]
NewsdeskApplication = Application[ExtBot[None], Context, dict[Any, Any], ChatData, BotData, Any]


def context_types() -> ContextTypes[Context, dict[Any, Any], ChatData, BotData]:
    return ContextTypes(chat_data=ChatData, bot_data=BotData)


def chat_data(context: Context) -> ChatData:
    """The chat's data; an update without a chat (none we handle) gets a throwaway one."""
    return context.chat_data if context.chat_data is not None else ChatData()
