"""Sending HTML messages to Telegram: each message that Telegram still can't parse is sent
again as plain text, that message alone, so nothing is lost and nothing is sent twice."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.render import plain_text_of

log = logging.getLogger(__name__)


async def send_html_messages(
    bot: Bot,
    chat_id: int,
    messages: list[str],
    *,
    reply_to: ReplyParameters | None = None,
    markup: InlineKeyboardMarkup | None = None,
    topic: int | None = None,
) -> None:
    """The messages in order, in the forum `topic` if given: the first replying to
    `reply_to`, the buttons under the last."""
    for index, html in enumerate(messages):
        reply_parameters = reply_to if index == 0 else None
        reply_markup = markup if index == len(messages) - 1 else None
        try:
            await bot.send_message(
                chat_id,
                html,
                message_thread_id=topic,
                parse_mode=ParseMode.HTML,
                disable_web_page_preview=True,
                reply_parameters=reply_parameters,
                reply_markup=reply_markup,
            )
        except BadRequest as error:
            if "can't parse entities" not in str(error).lower():
                raise
            log.warning("Telegram rejected a message's HTML (%s); sending it as plain text", error)
            await bot.send_message(
                chat_id,
                plain_text_of(html),
                message_thread_id=topic,
                disable_web_page_preview=True,
                reply_parameters=reply_parameters,
                reply_markup=reply_markup,
            )
