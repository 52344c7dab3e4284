"""The inline keyboard under each answer: one button per source, which shows that passage in
full, and 👍/👎. The answer is kept in the shared AnswerLog under a random 63-bit id, so a
button works on any replica and after a restart.

Button data is `p:ID:N` (show passage N) and `v:ID:±1` (vote), ID in 16 hex digits: at
most 23 bytes of Telegram's 64. A button works only in the chat its answer was given in, or
for the person who asked: anyone else holding an answer's id gets nothing of it. Buttons
from before (`s:ID:N`, `f:ID:±1`, ids counted per machine) are answered with OLD_BUTTON:
their ids could name another replica's answer."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from html import escape

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.answering.answers import Answer, Citation
from bot.render import split_messages
from bot.state.answers import MAX_ANSWER_ID
from bot.telegram.access import slow_down_message
from bot.telegram.context import Context
from bot.telegram.sending import send_html_messages
from bot.translation import for_user
from index.chunking import join_chunks

EXPIRED = "That answer is no longer on record; please ask the question again."
OLD_BUTTON = (
    "That button is from before the bot was upgraded and can't be matched to its answer "
    "any more; please ask the question again."
)
UNKNOWN_BUTTON = "I don't know that button."
ELSEWHERE = "That button works only in the chat its answer was given in."
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


def answer_id_of(markup: InlineKeyboardMarkup | None) -> int | None:
    """The answer log id the buttons under a message carry; None without our buttons."""
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            press = (
                parse_press(button.callback_data) if isinstance(button.callback_data, str) else None
            )
            if isinstance(press, Press):
                return press.answer_id
    return None


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


@dataclass(frozen=True)
class Press:
    """A button's data, checked: show passage `number` ("p"), or vote `number`, ±1 ("v")."""

    kind: str
    answer_id: int
    number: int


def parse_press(data: str) -> Press | str:
    """The press `data` describes, or the reply to data that is none we send: an id outside
    1..2^63-1 (one SQLite's INTEGER can't hold, or none we hand out), a vote other than ±1,
    a passage number below 1."""
    matched = _DATA.fullmatch(data)
    if matched is None:
        return OLD_BUTTON if _OLD_DATA.fullmatch(data) else UNKNOWN_BUTTON
    kind, answer_id, number = matched[1], int(matched[2], 16), int(matched[3])
    fits = number in THANKS if kind == "v" else number >= 1
    if not fits or not 0 < answer_id <= MAX_ANSWER_ID:
        return UNKNOWN_BUTTON
    return Press(kind, answer_id, number)


async def on_button(update: Update, context: Context) -> None:
    """Show a source passage in full, or record a 👍/👎: only in the chat the answer was
    given in, or for the person who asked; a press counts against the rate limit as a
    question does."""
    query = update.callback_query
    if query is None or not query.data:
        return
    limiter = context.bot_data.rate_limiter
    wait = await asyncio.to_thread(limiter.wait_seconds, query.from_user.id)
    if wait:  # an alert to the presser alone: nothing posted to the chat
        line = slow_down_message(limiter.per_minute, wait, for_user(query.from_user))
        await query.answer(line, show_alert=True)
        return
    press = parse_press(query.data)
    if isinstance(press, str):
        await query.answer(press, show_alert=press == OLD_BUTTON)
        return
    answer_log = context.state.answers
    recorded = await asyncio.to_thread(answer_log.recorded, press.answer_id)
    chat_id = query.message.chat.id if query.message else None
    if recorded is None:
        await query.answer(EXPIRED, show_alert=press.kind == "p")
    elif not recorded.reachable_from(chat_id, query.from_user.id):
        await query.answer(ELSEWHERE, show_alert=True)
    elif press.kind == "v":
        voted = await asyncio.to_thread(
            answer_log.vote, press.answer_id, query.from_user.id, press.number
        )
        await query.answer(THANKS[press.number] if voted else EXPIRED)
    else:
        await _show_passage(query, recorded.answer, press.number, context)


async def _show_passage(
    query: CallbackQuery, answer: Answer, number: int, context: Context
) -> None:
    citation = next((c for c in answer.citations if c.n == number), None)
    if citation is None:
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
