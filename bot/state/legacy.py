"""The files older versions kept under NEWSDESK_HOME, imported into the shared database once
at start-up, so nothing recorded before is lost: `answers.sqlite` (answers and votes, given
new ids; their old buttons get a message saying to ask again), `prompt-history/*.jsonl` with
the live copies in `prompts/`, `feeds.json` and the `uploads/` folder. Each import is one
transaction together with its record in `legacy_imports`, keyed by the file's content hash,
so it happens once however often, or on however many replicas, the bot starts. The files
are left where they are."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Connection

from bot.answering.prompts import PLACEHOLDERS, PromptVersion, validate
from bot.state.answers import new_answer_id
from bot.state.database import Database
from bot.state.prompts import DatabasePromptStore
from bot.state.tables import answers, feedback, legacy_imports
from bot.state.uploads import UploadRecords
from index.errors import NewsdeskError
from index.ingest.feeds import check_feed_url, read_feed_file

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def import_legacy_files(database: Database, home: Path) -> None:
    import_answer_log(database, home / "answers.sqlite")
    import_prompt_history(database, home / "prompt-history", home / "prompts")
    import_feed_file(database, home / "feeds.json")
    import_upload_folder(database, home / "uploads")


def _digest(*contents: bytes) -> str:
    hasher = hashlib.sha256()
    for content in contents:
        hasher.update(hashlib.sha256(content).digest())
    return hasher.hexdigest()[:32]


def _first_time(database: Database, db: Connection, key: str) -> bool:
    """Record `key` as imported; False if it already was (the import is skipped)."""
    return database.insert_new(db, legacy_imports, key=key, at=time.time())


def _read_old_log(path: Path) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as old:
        rows = old.execute(
            "SELECT id, chat_id, user_id, asked_at, question, answer_json, refused, "
            "latency_ms, prompt_version FROM answers ORDER BY id"
        ).fetchall()
        votes = old.execute("SELECT answer_id, user_id, vote, at FROM feedback").fetchall()
    return rows, votes


def import_answer_log(database: Database, path: Path) -> int:
    """The answers and votes of an old answers.sqlite; returns how many answers came in."""
    if not path.is_file():
        return 0
    try:
        rows, votes = _read_old_log(path)
    except sqlite3.Error as error:
        log.error("the old answer log %s can't be read (%s); it is not imported", path, error)
        return 0
    new_ids = {int(row[0]): new_answer_id() for row in rows}
    with database.transaction() as db:
        if not _first_time(database, db, f"answers.sqlite:{_digest(path.read_bytes())}"):
            return 0
        for old_id, chat, user, asked, question, raw, refused, latency, version in rows:
            db.execute(answers.insert().values(
                id=new_ids[int(old_id)], chat_id=chat, user_id=user, asked_at=asked,
                question=question, answer_json=raw, refused=bool(refused),
                latency_ms=latency, prompt_version=version,
            ))  # fmt: skip
        for answer_id, user, vote, at in votes:
            if int(answer_id) in new_ids:
                db.execute(feedback.insert().values(
                    answer_id=new_ids[int(answer_id)], user_id=user, vote=vote, at=at
                ))  # fmt: skip
    log.info("imported %d answers and %d votes from %s", len(rows), len(votes), path)
    return len(rows)


def _read_history(path: Path) -> list[PromptVersion]:
    versions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError, TypeError):
            versions.append(PromptVersion(**json.loads(line)))
    return versions


def import_prompt_history(database: Database, history: Path, live: Path) -> int:
    """Each template's old versions (history/NAME.jsonl) and its live copy (live/NAME.txt)
    into the store, for templates the database has no version of yet. A template without a
    live copy was only ever read from its default file, so its versions stay "from the
    default" (an edit to that file is still noticed); one with a live copy has that copy
    live. Returns how many versions came in."""
    store, imported = DatabasePromptStore(database), 0
    for name in PLACEHOLDERS:
        old, copy = history / f"{name}.jsonl", live / f"{name}.txt"
        # A live copy without a history is no old install's (publishing kept both): it may
        # be the defaults folder itself (NEWSDESK_PROMPTS_DIR under NEWSDESK_HOME).
        if not old.is_file() or store.latest(name) is not None:
            continue
        versions = _read_history(old) if old.is_file() else []
        text = _live_copy(name, copy)
        for version in versions:
            store.add(name, version.text, version.author, version.note,
                      from_default=text is None, at=version.at)  # fmt: skip
        if text is not None and (not versions or versions[-1].text != text):
            store.add(name, text, "edited on disk", f"imported from {copy}", from_default=False)
            imported += 1
        imported += len(versions)
    if imported:
        log.info("imported %d prompt versions from %s and %s", imported, history, live)
    return imported


def _live_copy(name: str, path: Path) -> str | None:
    """The live copy's text if it is a valid template (an invalid one was never live)."""
    try:
        return validate(name, path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, NewsdeskError):
        return None


def import_feed_file(database: Database, path: Path) -> int:
    from bot.state.feeds import FeedRecords

    try:
        urls = read_feed_file(path)
    except NewsdeskError as error:
        log.error("%s; the old feed list is not imported", error)
        return 0
    if not urls:
        return 0
    with database.transaction() as db:
        if not _first_time(database, db, f"feeds.json:{_digest(path.read_bytes())}"):
            return 0
    added = 0
    for url in urls:
        try:
            added += FeedRecords(database).add(check_feed_url(url))
        except NewsdeskError as error:
            log.warning("old feed list: %s, skipped", error)
    log.info("imported %d feeds from %s", added, path)
    return added


def import_upload_folder(database: Database, folder: Path) -> int:
    """Every kept upload (`uploads/<hash>/<name>`) not yet recorded."""
    if not folder.is_dir():
        return 0
    records = UploadRecords(database)
    known, added = records.names(), 0
    for path in sorted(folder.glob("*/*")):
        digest = path.parent.name
        if digest in known or not path.is_file() or path.name.startswith("."):
            continue
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            log.warning("upload %s is over 20 MB; not recorded", path)
            continue
        added += records.add(digest, path.name, path.read_bytes())
        known[digest] = path.name
    if added:
        log.info("recorded %d uploads kept in %s", added, folder)
    return added
