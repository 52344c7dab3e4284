"""The inline keyboard under each answer: one button per source, which shows that passage in
full, and 👍/👎. The answer is kept in the AnswerLog, so buttons still work after a restart."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.answering.answers import Answer, Citation
from bot.render import split_messages
from bot.telegram.context import Context
from bot.telegram.sending import send_html_messages
from index.chunking import join_chunks

EXPIRED = "That answer is no longer on record; please ask the question again."
THANKS = {1: "Thanks! Glad it helped.", -1: "Thanks for telling me; it helps improve answers."}
MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data
TITLE_CHARS = 24
# Marks where a shown passage skips part of the article (between its lede and the rest).
SKIPPED = "\n[…]\n"


def keyboard(answer_id: int, answer: Answer) -> InlineKeyboardMarkup:
    """Source buttons (up to 3 a row), then 👍 and 👎. Data: `s:ID:N` and `f:ID:±1`."""
    sources = [
        InlineKeyboardButton(_label(citation), callback_data=f"s:{answer_id}:{citation.n}")
        for citation in answer.citations
    ]
    rows = [sources[i : i + 3] for i in range(0, len(sources), 3)]
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=f"f:{answer_id}:1"),
            InlineKeyboardButton("👎", callback_data=f"f:{answer_id}:-1"),
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
    kind, _, rest = query.data.partition(":")
    raw_id, _, value = rest.partition(":")
    answer_log = context.bot_data.answer_log
    if not raw_id.isdigit() or not value.lstrip("-").isdigit():
        await query.answer("I don't know that button.")
        return
    answer_id, number = int(raw_id), int(value)
    if kind == "f" and number in THANKS:
        user = query.from_user.id
        recorded = await asyncio.to_thread(answer_log.vote, answer_id, user, number)
        await query.answer(THANKS[number] if recorded else EXPIRED)
        return
    answer = await asyncio.to_thread(answer_log.get, answer_id)
    citation = next((c for c in answer.citations if c.n == number), None) if answer else None
    if kind != "s" or citation is None:
        await query.answer(EXPIRED, show_alert=True)
        return
    wanted = citation.passage_ids or [citation.chunk_id]
    found = await asyncio.to_thread(context.bot_data.parts.store.get_chunks, wanted)
    # A passage re-indexed since the answer is shown by its quote, which was verbatim then.
    text = join_chunks(found, gap=SKIPPED) if len(found) == len(wanted) else citation.quote
    await query.answer()
    if query.message is None:
        return
    # A passage of a few chunks fits one message; a hostile title or text may not.
    messages = split_messages([passage_html(citation, text)], html=True)
    await send_html_messages(context.bot, query.message.chat.id, messages)
