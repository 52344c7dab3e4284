"""Documents and links admins send to be indexed. Each is checked at once and indexed in the
background, so the bot goes on answering everyone meanwhile; the report follows when done.

An upload is kept as `uploads/<content hash>/<sanitised name>`: two different documents both
called news.txt never replace each other, and the same document sent again is the same file,
so it is reported unchanged and nothing is embedded twice."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from telegram import Document, Message, Update

from bot.telegram.access import admin_message
from bot.telegram.context import Context
from bot.telegram.indexing import in_background, index_and_report
from bot.telegram.sources import upload_collection
from index.articles import SUPPORTED_SUFFIXES, Article, LoadProblem
from index.ingest.loaders import kind_of, load_file
from index.ingest.sources import Sources, too_long

# Telegram lets bots download files up to 20 MB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_NAME_CHARS = 100
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
HASH_CHARS = 16  # of the sha256: collisions are out of reach for any real collection


def safe_name(name: str) -> str:
    """A file name with no folders, no markup and nothing hidden: shown and stored as is."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > MAX_NAME_CHARS:
        cleaned = stem[: MAX_NAME_CHARS - len(suffix) - 1] + "." + suffix
    return cleaned[:MAX_NAME_CHARS] or "document"


def only_urls(text: str) -> list[str]:
    """The URLs, if the message is nothing but URLs (a link to index, not a question)."""
    words = text.split()
    return words if words and all(_URL.fullmatch(word) for word in words) else []


async def document(update: Update, context: Context) -> None:
    """Check a document an admin sent (.txt, .md, .html, .json, .jsonl, .pdf) and index it."""
    message = await admin_message(update, context)
    if message is None or message.document is None:
        return
    sent = message.document
    name = safe_name(sent.file_name or "document")
    if kind_of(Path(name)) is None:
        await message.reply_text(
            f"I can't index {name}: send one of {', '.join(SUPPORTED_SUFFIXES)}.", do_quote=True
        )
        return
    if (sent.file_size or 0) > MAX_UPLOAD_BYTES:
        await message.reply_text(f"{name} is too large: Telegram lets bots fetch up to 20 MB.")
        return
    in_background(context, update, _check_and_index(message, sent, name, context))


async def _check_and_index(message: Message, sent: Document, name: str, context: Context) -> None:
    data = bytes(await (await sent.get_file()).download_as_bytearray())
    settings, indexer = context.settings, context.services.indexer
    saved = await asyncio.to_thread(
        keep_upload, settings.uploads_dir, name, data, indexer.max_article_chars
    )
    if isinstance(saved, str):
        await message.reply_text(f"I couldn't read {name}: {saved}. Nothing was changed.")
        return
    # On record for every replica's /reindex before it is indexed.
    await asyncio.to_thread(context.state.uploads.add, saved.parent.name, saved.name, data)
    collection = await chat_collection(message, context)
    payload = {"digest": saved.parent.name, **in_payload(collection)}
    if not settings.runs_indexing_jobs:
        await queue_job(message, context, "upload", payload)
        return
    uploaded = Sources(paths=[saved], collection=collection)
    await index_and_report(message, context, uploaded, ("upload", payload))


async def chat_collection(message: Message, context: Context) -> str | None:
    """The collection what an admin sends here is indexed into (`upload_collection`)."""
    scope = await asyncio.to_thread(context.state.sources.scope, message.chat_id)
    return upload_collection(scope)


def in_payload(collection: str | None) -> dict[str, str]:
    """The job payload's part naming the collection (none: where each article is)."""
    return {"collection": collection} if collection is not None else {}


async def queue_job(message: Message, context: Context, kind: str, payload: dict[str, Any]) -> None:
    """NEWSDESK_ROLE=bot: the indexer indexes it and reports here."""
    queue = context.state.jobs
    job_id = await asyncio.to_thread(queue.enqueue, kind, payload, message.chat_id)
    await message.reply_text(f"Queued as job {job_id}: the indexer indexes it and reports here.")


def keep_upload(folder: Path, name: str, data: bytes, max_chars: int) -> Path | str:
    """Check the upload reads as articles, then keep it under its content hash. Returns the
    kept path, or the reason it wasn't kept; nothing is left behind either way."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
    home = folder / digest
    already = sorted(home.glob("*")) if home.is_dir() else []
    if already:  # the same document, sent again (perhaps under another name)
        return already[0]
    folder.mkdir(parents=True, exist_ok=True)
    # The checked copy keeps the real suffix (loaders go by it) under a name nothing indexes.
    handle, staging_name = tempfile.mkstemp(prefix=".upload-", suffix="-" + name, dir=folder)
    staging = Path(staging_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        reason = _unreadable(load_file(staging), max_chars)
        if reason:
            return reason
        home.mkdir(exist_ok=True)
        os.replace(staging, home / name)
        return home / name
    finally:
        staging.unlink(missing_ok=True)


def _unreadable(loaded: Iterable[Article | LoadProblem], max_chars: int) -> str:
    """Why the loaded file can't be indexed, or "" if it can: read up to its first article,
    so a file of a million records is not held whole to check it."""
    first_reason = ""
    for item in loaded:
        checked = too_long(item, max_chars) or item
        if isinstance(checked, Article):
            return ""
        first_reason = first_reason or checked.reason
    return first_reason or "no articles in it"


async def index_links(update: Update, message: Message, urls: list[str], context: Context) -> None:
    """Fetch and index, in the background, the pages an admin sent as a message of links."""
    collection = await chat_collection(message, context)
    payload = {"urls": urls, **in_payload(collection)}
    if not context.settings.runs_indexing_jobs:
        await queue_job(message, context, "links", payload)
        return
    await message.reply_text(f"Fetching {len(urls)} page{'s' if len(urls) > 1 else ''}...")
    linked = Sources(urls=urls, collection=collection)
    run = index_and_report(message, context, linked, ("links", payload))
    in_background(context, update, run)
