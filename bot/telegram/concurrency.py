"""Many chats at once, each in order: updates are handled concurrently, but the updates of one
chat take turns, so a reader's second question is answered after the first, and a slow answer
in one chat never holds up another. Blocking work (retrieval, the answerer, an LLM call, the
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
from telegram.ext import BaseUpdateProcessor

# Updates accepted at once, waiting for their chat's turn included; past it, new ones wait
# in python-telegram-bot's queue.
WAITING_UPDATES_PER_SLOT = 16


@dataclass
class _ChatTurns:
    """The lock a chat's updates take in turn, and how many are waiting for it or hold it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (None for updates without one, handled at once)."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Up to `concurrent` updates at once; the updates of one chat one after another, in the
    order they arrived."""

    def __init__(self, concurrent: int) -> None:
        super().__init__(max_concurrent_updates=max(2, concurrent * WAITING_UPDATES_PER_SLOT))
        self.concurrent = concurrent
        self._slots = asyncio.Semaphore(concurrent)
        self._chats: dict[int, _ChatTurns] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
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
