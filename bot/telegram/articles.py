"""/articles for admins: the indexed articles, newest first, a page at a time, with Prev and
Next buttons (`index.catalog`, as `newsdesk articles list`). `/articles [PAGE] [TEXT]`: page
PAGE of the articles whose title holds TEXT. Removing one is the CLI's
(`newsdesk articles rm ID`), where the operator sees what they remove."""

from __future__ import annotations

import asyncio
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.telegram.access import ADMINS_ONLY, admin_message, is_admin
from bot.telegram.context import Context
from index.catalog import CatalogError, list_page, quoted
from index.collections import Scope
from index.store import ArticleStore

BUTTON_PREFIX = "ar:"
MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data
TITLE_CHARS = 60
# A search longer than this isn't repeated in the "Next: /articles 2 ..." line.
LONGEST_SEARCH_SHOWN = 200
_COMMAND = re.compile(r"^/articles(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
_BUTTON = re.compile(r"ar:([0-9]{1,6}):(.*)", re.DOTALL)
EMPTY_INDEX = (
    "The index is empty: send me documents or links to index, or run `newsdesk index` "
    "on the server."
)
REMOVE_HINT = "Remove one with `newsdesk articles rm ID` on the server."


def parse_arguments(text: str) -> tuple[int, str]:
    """`/articles [PAGE] [TEXT]` -> (page, search): a first word of digits is the page."""
    matched = _COMMAND.match(text.strip())
    rest = (matched.group(1) or "").strip() if matched else ""
    words = rest.split(maxsplit=1)
    if words and words[0].isdigit():
        return max(1, int(words[0][:6])), words[1] if len(words) > 1 else ""
    return 1, rest


def button_data(page: int, search: str) -> str | None:
    """The data of a button showing `page` of `search`; None if it can't fit Telegram's 64
    bytes (a long search: the reply then says how to ask for the page)."""
    data = f"{BUTTON_PREFIX}{page}:{search}"
    return data if len(data.encode()) <= MAX_CALLBACK_BYTES else None


def render_page(
    store: ArticleStore, page: int, search: str, collections: Scope = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The reply showing `page` (the last one if it is past it), and its buttons; of the
    chat's collections alone when it is scoped (/sources)."""
    try:
        found = list_page(store, page=page, search=search, clamp=True, collections=collections)
    except CatalogError as error:
        return f"Not done: {error}", None
    if not found.total:
        if collections is not None:
            heading = found.heading()
            return heading[0].upper() + heading[1:] + " (this chat's /sources).", None
        return (
            EMPTY_INDEX if not search else f"No articles with {quoted(search)} in the title."
        ), None
    heading = found.heading()
    lines = [heading[0].upper() + heading[1:]]
    lines += [article.line(TITLE_CHARS) for article in found.articles]
    buttons = []
    for label, number in (("◀ Prev", found.page - 1), ("Next ▶", found.page + 1)):
        if 1 <= number <= found.pages:
            data = button_data(number, search)
            if data is None:
                words = search if len(search) <= LONGEST_SEARCH_SHOWN else "and the same words"
                lines.append(f"{label.strip('◀▶ ')}: /articles {number} {words}")
            else:
                buttons.append(InlineKeyboardButton(label, callback_data=data))
    lines.append(REMOVE_HINT)
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


async def articles(update: Update, context: Context) -> None:
    """Admins: a page of the indexed articles."""
    message = await admin_message(update, context)
    if message is None:
        return
    page, search = parse_arguments(message.text or "")
    scope = await asyncio.to_thread(context.state.sources.scope, message.chat_id)
    text, buttons = await asyncio.to_thread(render_page, context.store, page, search, scope)
    await message.reply_text(text, reply_markup=buttons)


async def page_button(update: Update, context: Context) -> None:
    """Prev or Next under a listing: the listing's message shows that page instead."""
    query = update.callback_query
    if query is None or not query.data:
        return
    if not is_admin(update, context.settings):
        await query.answer(ADMINS_ONLY, show_alert=True)
        return
    matched = _BUTTON.fullmatch(query.data)
    if matched is None:
        await query.answer("I don't know that button.")
        return
    page, search = max(1, int(matched[1])), matched[2]
    chat = update.effective_chat
    scope = await asyncio.to_thread(context.state.sources.scope, chat.id) if chat else None
    text, buttons = await asyncio.to_thread(render_page, context.store, page, search, scope)
    await query.answer()
    await query.edit_message_text(text, reply_markup=buttons)
