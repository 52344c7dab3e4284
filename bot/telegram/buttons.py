"""The inline keyboard under each answer: one button per source, which shows that passage in
full, and 👍/👎. The answer is kept in the shared AnswerLog under a random 63-bit id, so a
button works on any replica and after a restart.

Button data is `p:ID:N` (show passage N) and `v:ID:±1` (vote), ID in 16 hex digits: at
most 23 bytes of Telegram's 64. Buttons from before (`s:ID:N`, `f:ID:±1`, ids counted per
machine) are answered with OLD_BUTTON: their ids could name another replica's answer."""

from __future__ import annotations

import asyncio
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.answering.answers import Answer, Citation
from bot.render import split_messages
from bot.telegram.context import Context
from bot.telegram.sending import send_html_messages
from index.chunking import join_chunks

EXPIRED = "That answer is no longer on record; please ask the question again."
OLD_BUTTON = (
    "That button is from before the bot was upgraded and can't be matched to its answer "
    "any more; please ask the question again."
)
UNKNOWN_BUTTON = "I don't know that button."
_DATA = re.compile(r"([pv]):([0-9a-f]{1,16}):(-?[0-9]{1,3})")
_OLD_DATA = re.compile(r"[sf]:[0-9]+:-?[0-9]+")
THANKS = {1: "Thanks! Glad it helped.", -1: "Thanks for telling me; it helps improve answers."}
MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data
TITLE_CHARS = 24
# Marks where a shown passage skips part of the article (between its lede and the rest).
SKIPPED = "\n[…]\n"


def keyboard(answer_id: int, answer: Answer) -> InlineKeyboardMarkup:
    """Source buttons (up to 3 a row), then 👍 and 👎. Data: `p:ID:N` and `v:ID:±1`."""
    key = f"{answer_id:x}"
    sources = [
        InlineKeyboardButton(_label(citation), callback_data=f"p:{key}:{citation.n}")
        for citation in answer.citations
    ]
    rows = [sources[i : i + 3] for i in range(0, len(sources), 3)]
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=f"v:{key}:1"),
            InlineKeyboardButton("👎", callback_data=f"v:{key}:-1"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _label(citation: Citation) -> str:
    title = (
        citation.title
        if len(citation.title) <= TITLE_CHARS
        else citation.title[: TITLE_CHARS - 1] + "…"
    )
    return f"[{citation.n}] {title}"


def passage_html(citation: Citation, text: str) -> str:
    """A cited passage in full, with its title (linked), source and date, escaped."""
    title = escape(citation.title or "Untitled", quote=False)
    if citation.url.startswith(("http://", "https://")):
        title = f'<a href="{escape(citation.url, quote=True)}">{title}</a>'
    details = ", ".join(
        escape(part, quote=False) for part in (citation.source, citation.published) if part
    )
    head = f"<b>[{citation.n}]</b> {title}" + (f"\n{details}" if details else "")
    return f"{head}\n<blockquote>{escape(text, quote=False)}</blockquote>"


async def on_button(update: Update, context: Context) -> None:
    """Show a source passage in full, or record a 👍/👎."""
    query = update.callback_query
    if query is None or not query.data:
        return
    matched = _DATA.fullmatch(query.data)
    if matched is None:
        old = _OLD_DATA.fullmatch(query.data)
        await query.answer(OLD_BUTTON if old else UNKNOWN_BUTTON, show_alert=bool(old))
        return
    kind, answer_id, number = matched[1], int(matched[2], 16), int(matched[3])
    answer_log = context.state.answers
    if kind == "v" and number in THANKS:
        user = query.from_user.id
        recorded = await asyncio.to_thread(answer_log.vote, answer_id, user, number)
        await query.answer(THANKS[number] if recorded else EXPIRED)
        return
    answer = await asyncio.to_thread(answer_log.get, answer_id)
    citation = next((c for c in answer.citations if c.n == number), None) if answer else None
    if kind != "p" or citation is None:
        await query.answer(EXPIRED, show_alert=True)
        return
    wanted = citation.passage_ids or [citation.chunk_id]
    found = await asyncio.to_thread(context.store.get_chunks, wanted)
    # A passage re-indexed since the answer is shown by its quote, which was verbatim then.
    text = join_chunks(found, gap=SKIPPED) if len(found) == len(wanted) else citation.quote
    await query.answer()
    if query.message is None:
        return
    # A passage of a few chunks fits one message; a hostile title or text may not.
    messages = split_messages([passage_html(citation, text)], html=True)
    await send_html_messages(context.bot, query.message.chat.id, messages)
