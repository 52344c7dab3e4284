"""While an answer is made: the typing action kept up, and in private chats the LLM's reply
shown as it is generated.

Telegram shows "typing…" for about 5 seconds per `sendChatAction`, so it is sent again every
TYPING_EVERY seconds until the answer is out. The draft is `sendMessageDraft` (PTB >= 22.6,
all bots since Bot API 9.3's successor), else a message edited in place and deleted once the
final answer is sent; either way at most one update every DRAFT_EVERY (EDIT_EVERY) seconds,
within Telegram's flood limits. Drafts are plain text (the reply is not checked yet); the
final answer, checked and with its citations and buttons, is sent as usual by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from telegram import Bot
from telegram.constants import ChatAction, MessageLimit
from telegram.error import TelegramError

from bot.answering.claims import without_links
from bot.answering.conversation import Conversation, ConversationKey, Exchange, Turn
from bot.answering.service import Draft
from bot.answering.time_window import TimeWindow

log = logging.getLogger(__name__)

TYPING_EVERY = 4.0
DRAFT_EVERY = 0.5
EDIT_EVERY = 1.5
DRAFT_ID = 1
MAX_DRAFT_CHARS = MessageLimit.MAX_TEXT_LENGTH - 10


@asynccontextmanager
async def typing(bot: Bot, chat_id: int, topic: int | None = None) -> AsyncIterator[None]:
    """The typing action (in the forum `topic`, if given), shown before the block starts and
    renewed until it ends; a failure never costs the answer."""

    async def show() -> None:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=topic)
        except TelegramError as error:
            log.warning("Could not show the typing indicator (%s); answering anyway", error)

    async def renew() -> None:
        while True:
            await asyncio.sleep(TYPING_EVERY)
            await show()

    await show()
    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class DraftShower:
    """Shows the reply so far, throttled: a draft where the Bot API has them, else one message
    edited in place (`finish` deletes it)."""

    def __init__(self, bot: Bot, chat_id: int, topic: int | None = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.topic = topic
        self.native = hasattr(bot, "send_message_draft")
        self.every = DRAFT_EVERY if self.native else EDIT_EVERY
        self.shown = ""
        self.last = 0.0
        self.message_id: int | None = None

    async def show(self, text: str, *, force: bool = False) -> None:
        text = _fit(without_links(text))
        now = time.monotonic()
        if not text.strip() or text == self.shown or (not force and now - self.last < self.every):
            return
        self.last, self.shown = now, text
        try:
            if self.native:
                await self.bot.send_message_draft(
                    self.chat_id, DRAFT_ID, text, message_thread_id=self.topic
                )
            elif self.message_id is None:
                sent = await self.bot.send_message(self.chat_id, text, message_thread_id=self.topic)
                self.message_id = sent.message_id
            else:
                await self.bot.edit_message_text(text, self.chat_id, self.message_id)
        except TelegramError as error:  # a draft is a courtesy too: the answer still comes
            log.warning("Could not show the draft (%s); the answer follows", error)

    async def finish(self) -> None:
        if self.message_id is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.delete_message(self.chat_id, self.message_id)


def _fit(text: str) -> str:
    return text if len(text) <= MAX_DRAFT_CHARS else text[: MAX_DRAFT_CHARS - 1] + "…"


async def streamed_turn(
    bot: Bot,
    conversation: Conversation,
    key: ConversationKey,
    question: str,
    asker: int | None,
    *,
    follows: list[Exchange] | None = None,
    window: TimeWindow | None = None,
    as_of: date | None = None,
) -> Turn:
    """The conversation's turn, its drafts shown in the chat while the LLM writes it;
    `as_of`: the day the question was asked (the message's date)."""
    chat_id = key.chat_id
    if chat_id is None:  # every Telegram conversation is a chat's
        raise ValueError(f"conversation {key} is no Telegram chat")
    shower = DraftShower(bot, chat_id, key.topic)
    turn: Turn | None = None
    try:
        stream = conversation.stream(
            key, question, asker=asker, follows=follows, window=window, as_of=as_of
        )
        async for part in stream:
            if isinstance(part, Draft):
                await shower.show(part.text)
            else:
                turn = part
    finally:
        await shower.finish()
    if turn is None:  # the chain always ends with its answer; this would be a bug of ours
        raise RuntimeError("the answer chain ended without an answer")
    return turn
