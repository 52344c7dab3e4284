"""Every store of the shared state over one database, opened (and migrated, and the legacy
files imported) once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.state.answers import AnswerLog
from bot.state.database import Database, open_database
from bot.state.digests import Digests
from bot.state.feeds import FeedEntryFailures, FeedRecords
from bot.state.follows import Follows
from bot.state.jobs import JobQueue
from bot.state.legacy import import_legacy_files
from bot.state.limits import StoredWindows
from bot.state.memory import StoredConversations
from bot.state.prompts import DatabasePromptStore
from bot.state.sources import ChatSources
from bot.state.uploads import UploadRecords


@dataclass(frozen=True)
class SharedState:
    database: Database
    answers: AnswerLog
    prompts: DatabasePromptStore
    feeds: FeedRecords
    feed_entry_failures: FeedEntryFailures
    uploads: UploadRecords
    memory: StoredConversations
    windows: StoredWindows
    jobs: JobQueue
    follows: Follows
    digests: Digests
    sources: ChatSources


def shared_state(database: Database) -> SharedState:
    return SharedState(
        database=database,
        answers=AnswerLog(database),
        prompts=DatabasePromptStore(database),
        feeds=FeedRecords(database),
        feed_entry_failures=FeedEntryFailures(database),
        uploads=UploadRecords(database),
        memory=StoredConversations(database),
        windows=StoredWindows(database),
        jobs=JobQueue(database),
        follows=Follows(database),
        digests=Digests(database),
        sources=ChatSources(database),
    )


def open_shared_state(url: str, home: Path) -> SharedState:
    """The database at `url`, migrated to the newest schema, with the files older versions
    kept in `home` imported (once)."""
    database = open_database(url)
    import_legacy_files(database, home)
    return shared_state(database)
