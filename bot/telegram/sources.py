"""/sources: which collections a chat answers from (issue 29, per-chat sources). Anyone sees
the collections, their article counts and the chat's scope; the chat's admins choose:
`/sources NAME [NAME ...]` keeps the chat to those collections, `/sources all` to every one
(the default). Kept in the shared database (`bot.state.sources`), so every replica answers
with it: questions (`Conversation` reads it), /follow pushes and digests, /articles.

Who may choose: the bot's admins (NEWSDESK_ADMIN_IDS) anywhere; in a group, its creator and
administrators as Telegram says (getChatMember); in a private chat, its one member, since a
scope only narrows what that person reads.

The replies are in the client's language (bot/translation.py); a malformed name's
reason comes from index.collections and stays English, and the log stays English."""

from __future__ import annotations

import asyncio
import logging
import re
from gettext import NullTranslations

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.telegram.access import is_admin
from bot.telegram.context import Context
from bot.translation import ENGLISH, for_update
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
EVERY_COLLECTION = "every collection"
NOTHING_INDEXED = "Nothing is indexed yet, so there are no collections to choose from."
COLLECTIONS = "Collections (articles):"
ANSWERS_FROM = "This chat answers from {scope}."
NOT_CHANGED = "Not changed: {reason}. {usage}"
CHOSEN = "This chat now answers from {scope}: questions, /follow and /articles keep to it."
TOO_MANY_NAMES = ("name at most {limit} collection", "name at most {limit} collections")
ALL_ALONE = "{name} goes alone: /sources all"
NO_ARTICLES_IN = "no articles are in {names} (the collections: {known})"
NONE_YET = "none yet"
# The message ids said here (the catalogs' checks, tests/test_telegram_languages.py).
LINES = [CHAT_ADMINS_ONLY, USAGE, EVERY_COLLECTION, NOTHING_INDEXED, COLLECTIONS, ANSWERS_FROM]
LINES += [NOT_CHANGED, CHOSEN, ALL_ALONE, NO_ARTICLES_IN, NONE_YET]
PLURALS = [TOO_MANY_NAMES]


def describe_scope(scope: Scope, said: NullTranslations = ENGLISH) -> str:
    return said.gettext(EVERY_COLLECTION) if scope is None else ", ".join(scope)


def listing(counts: dict[str, int], scope: Scope, said: NullTranslations = ENGLISH) -> str:
    """The collections with their article counts, the chat's scope marked, and how to
    choose, in the language of the catalog `said`."""
    if not counts:
        lines = [said.gettext(NOTHING_INDEXED)]
    else:
        lines = [said.gettext(COLLECTIONS)]
        for name, articles in counts.items():
            mark = "✓ " if scope is not None and name in scope else "• "
            lines.append(f"{mark}{name}: {articles:,}")
    lines.append(said.gettext(ANSWERS_FROM).format(scope=describe_scope(scope, said)))
    lines.append(said.gettext(USAGE))
    return "\n".join(lines)


def chosen_names(words: list[str], known: set[str], said: NullTranslations = ENGLISH) -> list[str]:
    """The collections the words name, checked: CollectionNameError for a malformed name,
    one no article is in, `all` beside names, or too many (said in the catalog's language,
    but for a malformed name's reason)."""
    if len(words) > MAX_WORDS:
        too_many = said.ngettext(*TOO_MANY_NAMES, MAX_WORDS).format(limit=MAX_WORDS)
        raise CollectionNameError(too_many)
    lowered = [word.lower() for word in words]
    if ALL_COLLECTIONS in lowered:
        if len(words) > 1:
            alone = said.gettext(ALL_ALONE).format(name=repr(ALL_COLLECTIONS))
            raise CollectionNameError(alone)
        return []
    names = [check_collection_name(word) for word in words]
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or said.gettext(NONE_YET)
        raise CollectionNameError(
            said.gettext(NO_ARTICLES_IN).format(names=", ".join(unknown), known=listed)
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
    said = for_update(update)
    if not words:
        scope = await asyncio.to_thread(chat_sources.scope, message.chat_id)
        counts = await asyncio.to_thread(collection_counts, context.store)
        await message.reply_text(listing(counts, scope, said))
        return
    if not await may_choose(update, context):
        await message.reply_text(said.gettext(CHAT_ADMINS_ONLY))
        return
    try:
        counts = await asyncio.to_thread(collection_counts, context.store)
        names = chosen_names(words, set(counts), said)
        scope = await asyncio.to_thread(chat_sources.choose, message.chat_id, names)
    except CollectionNameError as error:
        usage = said.gettext(USAGE)
        await message.reply_text(said.gettext(NOT_CHANGED).format(reason=error, usage=usage))
        return
    log.info("chat %d now answers from %s", message.chat_id, describe_scope(scope))
    await message.reply_text(said.gettext(CHOSEN).format(scope=describe_scope(scope, said)))


def upload_collection(scope: Scope) -> str | None:
    """Where a document or link an admin sends in a chat is indexed: the chat's collection
    when it is scoped to exactly one, else where the article is already (new ones: main)."""
    return scope[0] if scope is not None and len(scope) == 1 else None
