"""What every handler gets in `context`: typed bot and chat data, as python-telegram-bot's
`examples/contexttypesbot.py` does, instead of string keys into dictionaries. What must
outlive the process or be shared between replicas (chat memory, rate limits, the answer
log) is in the shared database, reached through `bot_data.state`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.app import Parts
from bot.state.answers import AnswerLog
from bot.state.memory import StoredChatMemory
from bot.state.shared import SharedState
from bot.telegram.access import RateLimiter, RefusalOnce


class BotData:
    """The parts every handler shares, set once by `build_application` through `attach`.
    python-telegram-bot creates this object itself (with no arguments), hence the two steps."""

    parts: Parts
    state: SharedState
    answer_log: AnswerLog
    rate_limiter: RateLimiter
    refusals: RefusalOnce
    # One indexing run at a time: /reindex, uploads, links and the feed poll take turns.
    index_lock: asyncio.Lock
    reindex_started: float | None = None  # time.monotonic() of the /reindex running

    def attach(self, parts: Parts, state: SharedState) -> None:
        self.parts = parts
        self.state = state
        self.answer_log = state.answers
        self.rate_limiter = RateLimiter(parts.settings.rate_limit_per_minute, state.windows)
        self.refusals = RefusalOnce(state.windows)
        self.index_lock = asyncio.Lock()


@dataclass
class ChatData:
    """What the bot keeps per chat in this process: nothing yet (chat memory is shared, in
    the database: see `chat_memory`)."""


Context = CallbackContext[ExtBot[None], dict[Any, Any], ChatData, BotData]
NewsdeskApplication = Application[ExtBot[None], Context, dict[Any, Any], ChatData, BotData, Any]


def context_types() -> ContextTypes[Context, dict[Any, Any], ChatData, BotData]:
    return ContextTypes(chat_data=ChatData, bot_data=BotData)


async def chat_memory(context: Context, chat_id: int) -> StoredChatMemory:
    """The chat's last questions, read from the shared database; changing it writes through."""
    return await asyncio.to_thread(context.bot_data.state.memory.load, chat_id)
