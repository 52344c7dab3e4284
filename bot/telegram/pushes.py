"""Pushes to followers: after an indexing run, the run's new articles that match a followed
topic above the refusal floor go to the chat (and forum topic) that follows it, one message
per place per run, at most one every NEWSDESK_FOLLOW_PUSH_MINUTES (matches found in between
are held for the next). Only a process that indexes runs this, and each new article is new
in one run only, so with replicas every push is sent once. A chat that blocked the bot loses
its follows.

A push's own words (its heading, "Untitled", the count of what didn't fit, the articles'
dates) are in the language kept with the follow (the client's that made it: the newest
follow's, when a push lists several), from the catalogs the replies use
(bot/translation.py); a follow made before that was kept, or from a client in a
language without a catalog, is pushed in English. The articles' headlines, sources and
sentences are as the articles have them."""

from __future__ import annotations

import asyncio
import html
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from langchain_core.documents import Document
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.answering.answers import best_sentence
from bot.answering.chain import with_relevance
from bot.answering.retrieval import ChunkRetriever
from bot.answering.service import AnswerService
from bot.render import UNTITLED, Wording, telegram_length
from bot.state.follows import MAX_TOPIC_CHARS, Due, Follow, FollowMatch
from bot.state.shared import SharedState
from bot.telegram.answer_words import wording_in
from bot.telegram.sending import send_html_messages
from bot.translation import for_language
from bot.wiring.bot import BotServices
from index.collections import Scope, collection_of

log = logging.getLogger(__name__)

# Passages retrieved per followed topic: the run's new articles are looked for among them.
PASSAGES_PER_TOPIC = 20
ARTICLES_PER_FOLLOW = 3
SENTENCE_CHARS = 240
TITLE_CHARS = 150
SOURCE_CHARS = 80
URL_CHARS = 500  # a longer link is left off: the headline, source and date still say which
# Room for the push in one message (Telegram's limit is 4096), with the closing lines.
PUSH_CHARS = 3600
HEADING = "📰 New reports on what you follow:"
# What didn't fit in the message, counted (the same English for one and more).
MORE_PLURAL = (
    "…and {count} more; ask me about the story for them.",
    "…and {count} more; ask me about the story for them.",
)
# The message ids said here (the catalogs' checks, tests/test_telegram_languages.py);
# "Untitled" is an answer's too (bot/telegram/answer_words.py).
LINES = [HEADING]
PLURALS = [MORE_PLURAL]
Place = tuple[int, int | None]


def matches_for_topic(
    service: AnswerService,
    follow: Follow,
    wanted: Callable[[Document], bool],
    collections: Scope = None,
) -> list[FollowMatch]:
    """The articles (those of passages `wanted` takes: a run's new ones, or those a digest
    covers) whose best passage for the topic reaches the refusal floor, most relevant first,
    one match per article; of `collections` alone if given (the chat's /sources)."""
    setup, topic = service.setup, follow.topic
    retriever = service.retriever
    if isinstance(retriever, ChunkRetriever):
        found = retriever.invoke(topic, k=PASSAGES_PER_TOPIC, collections=collections)
    else:
        found = retriever.invoke(topic)
        if collections is not None:
            found = [doc for doc in found if collection_of(doc.metadata) in collections]
    best: dict[str, Document] = {}
    for passage in found:
        key = _key(passage)
        if not wanted(passage):
            continue
        scored = with_relevance(setup, topic, passage)
        if scored.metadata["relevance"] < setup.min_relevance:
            continue
        kept = best.get(key)
        if kept is None or scored.metadata["relevance"] > kept.metadata["relevance"]:
            best[key] = scored
    ranked = sorted(best.values(), key=lambda doc: -float(doc.metadata["relevance"]))
    return [_match(follow, doc) for doc in ranked]


def _key(passage: Document) -> str:
    return str(passage.metadata.get("article_key", ""))


def _match(follow: Follow, passage: Document) -> FollowMatch:
    meta = passage.metadata
    text = str(meta.get("text") or passage.page_content)
    return FollowMatch(
        follow_id=follow.id,
        topic=follow.topic,
        article_key=str(meta.get("article_key", "")),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        source=str(meta.get("source", "")),
        published=str(meta.get("published", "")),
        sentence=best_sentence(follow.topic, text).strip(),
        relevance=round(float(meta["relevance"]), 4),
    )


def find_matches(
    service: AnswerService,
    follows: Iterable[Follow],
    wanted: Callable[[Document], bool],
    scopes: Mapping[int, tuple[str, ...]] | None = None,
) -> dict[Place, list[FollowMatch]]:
    """Per place (chat, forum topic), the matches of its follows, each chat's of the
    collections `scopes` gives it (/sources; a chat not in it: every collection); a topic
    followed in several chats of one scope is looked up once."""
    by_topic: dict[tuple[str, Scope], list[FollowMatch]] = {}
    places: dict[Place, list[FollowMatch]] = defaultdict(list)
    for follow in follows:
        scope = (scopes or {}).get(follow.chat_id)
        same = (follow.topic.casefold(), scope)
        if same not in by_topic:
            by_topic[same] = matches_for_topic(service, follow, wanted, scope)
        found = [_for_follow(m, follow) for m in by_topic[same]]
        if found:
            places[(follow.chat_id, follow.thread_id)].extend(found)
    return dict(places)


def _for_follow(match: FollowMatch, follow: Follow) -> FollowMatch:
    data = {**match.__dict__, "follow_id": follow.id, "topic": follow.topic}
    return FollowMatch(**data)


def _entry(match: FollowMatch, words: Wording) -> str:
    title = html.escape(_cut(match.title or words.line(UNTITLED), TITLE_CHARS), quote=False)
    if match.url.startswith(("http://", "https://")) and len(match.url) <= URL_CHARS:
        title = f'<a href="{html.escape(match.url, quote=True)}">{title}</a>'
    source = _cut(match.source, SOURCE_CHARS)
    published = words.day(match.published) if match.published else ""
    origin = " · ".join(part for part in (source, published) if part)
    line = f"• {title}" + (f" — {html.escape(origin, quote=False)}" if origin else "")
    if match.sentence:
        line += f"\n<i>{html.escape(_cut(match.sentence, SENTENCE_CHARS), quote=False)}</i>"
    return line


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def push_text(due: Due, heading: str = HEADING) -> str:
    """One message: `heading` (a message id), then per follow its topic and up to
    ARTICLES_PER_FOLLOW articles (headline linked, source and date, the sentence nearest the
    topic); what doesn't fit is counted. Its own words in `due.language`."""
    words, catalog = wording_in(due.language), for_language(due.language)
    grouped: dict[int, list[FollowMatch]] = defaultdict(list)
    for match in due.matches:
        grouped[match.follow_id].append(match)
    lines, left_out = [words.line(heading)], due.dropped
    for matches in grouped.values():
        topic = _cut(matches[0].topic, MAX_TOPIC_CHARS)
        heading = f"\n<b>{html.escape(topic, quote=False)}</b>"
        shown = [_entry(m, words) for m in matches[:ARTICLES_PER_FOLLOW]]
        left_out += len(matches) - len(shown)
        block = [heading]
        for entry in shown:
            if telegram_length("\n".join(lines + block + [entry])) > PUSH_CHARS:
                left_out += 1
            else:
                block.append(entry)
        if len(block) > 1:  # a topic none of whose articles fit is only counted
            lines += block
    if left_out:
        lines.append("\n" + catalog.ngettext(*MORE_PLURAL, left_out).format(count=left_out))
    return "\n".join(lines)


async def push_new_articles(bot: Bot, services: BotServices, new_keys: list[str]) -> None:
    """Look for the follows the run's new articles match and push them; never raises (an
    indexing run is done whatever becomes of its pushes)."""
    try:
        await _push(bot, services, set(new_keys))
    except Exception:
        log.exception("pushing new articles to followers failed")


async def _push(bot: Bot, services: BotServices, new_keys: set[str]) -> None:
    store = services.state.follows
    follows = await asyncio.to_thread(store.everything) if new_keys else []
    found = {}
    if follows:
        scopes = await asyncio.to_thread(services.state.sources.scoped_chats)
        found = await asyncio.to_thread(
            find_matches, services.service, follows, lambda doc: _key(doc) in new_keys, scopes
        )
    # A place whose matches were held goes with this run too, if its time has come.
    for place in await asyncio.to_thread(store.holding):
        found.setdefault(place, [])
    every = services.settings.follow_push_minutes * 60
    for (chat_id, thread_id), matches in found.items():
        due = await asyncio.to_thread(store.take_due, chat_id, thread_id, matches, every)
        if due is not None:
            sent = await send_push(bot, services.state, (chat_id, thread_id), push_text(due))
            if sent:
                log.info("pushed %d new articles to chat %d", len(due.matches), chat_id)
        elif matches:
            log.info("push to chat %d held back: pushed to less than %.0f s ago", chat_id, every)


async def send_push(bot: Bot, state: SharedState, place: Place, text: str) -> bool:
    """Send one push or digest; False if it wasn't sent. A chat that refuses it (blocked
    the bot, removed it, or the account is gone: 403 Forbidden) loses its follows and digest."""
    chat_id, thread_id = place
    try:
        await send_html_messages(bot, chat_id, [text], topic=thread_id)
    except Forbidden as error:
        dropped = await asyncio.to_thread(state.follows.drop_chat, chat_id)
        await asyncio.to_thread(state.digests.drop_chat, chat_id)
        log.info("chat %d refused a push (%s): its %d follows were dropped",
                 chat_id, error, dropped)  # fmt: skip
        return False
    except TelegramError as error:
        log.warning("could not push to chat %d: %s", chat_id, error)
        return False
    return True
