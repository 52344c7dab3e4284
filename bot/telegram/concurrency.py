"""Many chats at once, each in order: updates are handled concurrently, but the updates of one
chat take turns, so a reader's second question is answered after the first, and a slow answer
in one chat never holds up another. In a group, each member's updates take turns among
themselves: one member's backlog (a flood of 100 mentions and presses) never holds up
another member's question. Blocking work (retrieval, the answerer, an LLM call, the
answer log) runs in a bounded pool of threads, never on the event loop.

python-telegram-bot's `concurrent_updates` takes a `BaseUpdateProcessor`; its own semaphore
(`max_concurrent_updates`) is taken before `do_process_update` is called, so it is set high
(updates waiting for their chat's turn hold one of its places) and the real limit on updates
handled at once is a second semaphore, taken only once the chat's turn has come.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

# Updates accepted at once, waiting for their chat's turn included; past it, new ones wait
# in python-telegram-bot's queue.
WAITING_UPDATES_PER_SLOT = 16


@dataclass
class _ChatTurns:
    """The lock a chat's updates take in turn, and how many are waiting for it or hold it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0


# Whose turn an update waits for: (chat, None) in a private chat, (chat, member) in a group.
TurnKey = tuple[int, int | None]


def turn_key(update: object) -> TurnKey | None:
    """Whose turn an update waits for (None for updates without a chat, handled at once)."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    chat, user = update.effective_chat, update.effective_user
    member = user.id if user is not None and chat.type != ChatType.PRIVATE else None
    return chat.id, member


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Up to `concurrent` updates at once; the updates of one chat (of one member of a group)
    one after another, in the order they arrived."""

    def __init__(self, concurrent: int) -> None:
        super().__init__(max_concurrent_updates=max(2, concurrent * WAITING_UPDATES_PER_SLOT))
        self.concurrent = concurrent
        self._slots = asyncio.Semaphore(concurrent)
        self._chats: dict[TurnKey, _ChatTurns] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = turn_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        turns = self._chats.setdefault(key, _ChatTurns())
        turns.holders += 1
        try:
            async with turns.lock, self._slots:  # asyncio.Lock wakes its waiters in order
                await coroutine
        finally:
            turns.holders -= 1
            if turns.holders == 0:
                del self._chats[key]

    @property
    def chats_waiting(self) -> int:
        """Chats with an update being handled or waiting (for tests and /healthz)."""
        return len(self._chats)

    async def initialize(self) -> None:
        """Nothing to set up: the locks are made as chats appear."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def use_answer_threads(threads: int) -> None:
    """Run `asyncio.to_thread` work (all of the bot's blocking calls) in a pool of `threads`.
    The default pool has min(32, cores + 4) threads: on two cores, six LLM calls of a few
    seconds each would keep every other reader waiting."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="answer")
    asyncio.get_running_loop().set_default_executor(pool)
