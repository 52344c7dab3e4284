"""/sources: which collections a chat answers from (issue 29, per-chat sources). Anyone sees
the collections, their article counts and the chat's scope; the chat's admins choose:
`/sources NAME [NAME ...]` keeps the chat to those collections, `/sources all` to every one
(the default). Kept in the shared database (`bot.state.sources`), so every replica answers
with it: questions (`Conversation` reads it), /follow pushes and digests, /articles.

Who may choose: the bot's admins (NEWSDESK_ADMIN_IDS) anywhere; in a group, its creator and
administrators as Telegram says (getChatMember); in a private chat, its one member, since a
scope only narrows what that person reads."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.telegram.access import is_admin
from bot.telegram.context import Context
from index.catalog import collection_counts
from index.collections import ALL_COLLECTIONS, CollectionNameError, Scope, check_collection_name

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/\w+(?:@\w+)?\s*", re.ASCII)
# More words than a chat can be scoped to (bot.state.sources) are refused before any is read.
MAX_WORDS = 20
SHOWN_CHARS = 40
CHAT_ADMINS_ONLY = (
    "Only this chat's admins can choose its sources. /sources shows what it answers from."
)
USAGE = (
    "Admins: /sources NAME [NAME ...] keeps this chat to those collections; "
    "/sources all answers from every collection again."
)
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def describe_scope(scope: Scope) -> str:
    return "every collection" if scope is None else ", ".join(scope)


def listing(counts: dict[str, int], scope: Scope) -> str:
    """The collections with their article counts, the chat's scope marked, and how to
    choose."""
    if not counts:
        lines = ["Nothing is indexed yet, so there are no collections to choose from."]
    else:
        lines = ["Collections (articles):"]
        for name, articles in counts.items():
            mark = "✓ " if scope is not None and name in scope else "• "
            lines.append(f"{mark}{name}: {articles:,}")
    lines.append(f"This chat answers from {describe_scope(scope)}.")
    lines.append(USAGE)
    return "\n".join(lines)


def chosen_names(words: list[str], known: set[str]) -> list[str]:
    """The collections the words name, checked: CollectionNameError for a malformed name,
    one no article is in, `all` beside names, or too many."""
    if len(words) > MAX_WORDS:
        raise CollectionNameError(f"name at most {MAX_WORDS} collections")
    lowered = [word.lower() for word in words]
    if ALL_COLLECTIONS in lowered:
        if len(words) > 1:
            raise CollectionNameError(f"{ALL_COLLECTIONS!r} goes alone: /sources all")
        return []
    names = [check_collection_name(word) for word in words]
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none yet"
        raise CollectionNameError(
            f"no articles are in {', '.join(unknown)} (the collections: {listed})"
        )
    return names


async def may_choose(update: Update, context: Context) -> bool:
    """Whether the sender may change this chat's sources (see the module's docstring)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if is_admin(update, context.settings) or chat.type == ChatType.PRIVATE:
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as error:  # can't tell: refused, as a non-admin would be
        log.warning("could not read chat %d's member %d: %s", chat.id, user.id, error)
        return False
    return member.status in ADMIN_STATUSES


def _after_command(message: Message) -> list[str]:
    return _COMMAND.sub("", message.text or "", count=1).split()


async def sources(update: Update, context: Context) -> None:
    """/sources lists; /sources NAME ... or /sources all chooses (the chat's admins)."""
    message = update.effective_message
    if message is None:
        return
    words, chat_sources = _after_command(message), context.state.sources
    if not words:
        scope = await asyncio.to_thread(chat_sources.scope, message.chat_id)
        counts = await asyncio.to_thread(collection_counts, context.store)
        await message.reply_text(listing(counts, scope))
        return
    if not await may_choose(update, context):
        await message.reply_text(CHAT_ADMINS_ONLY)
        return
    try:
        counts = await asyncio.to_thread(collection_counts, context.store)
        names = chosen_names(words, set(counts))
        scope = await asyncio.to_thread(chat_sources.choose, message.chat_id, names)
    except CollectionNameError as error:
        await message.reply_text(f"Not changed: {error}. {USAGE}")
        return
    log.info("chat %d now answers from %s", message.chat_id, describe_scope(scope))
    await message.reply_text(
        f"This chat now answers from {describe_scope(scope)}: questions, /follow and "
        "/articles keep to it."
    )


def upload_collection(scope: Scope) -> str | None:
    """Where a document or link an admin sends in a chat is indexed: the chat's collection
    when it is scoped to exactly one, else where the article is already (new ones: main)."""
    return scope[0] if scope is not None and len(scope) == 1 else None
