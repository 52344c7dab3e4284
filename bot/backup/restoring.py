"""Putting a checked backup into a home: each part is first copied into a staging folder
beside the home's data (the slow part; a restore cut short there leaves the home as it was,
and the next restore clears the staging folder), then the parts are moved into place with
renames, the old ones moved aside first and deleted last."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.backup.copying import SQLITE_SIDE_FILES, copy_folder, copy_sqlite
from bot.backup.layout import DATABASE, KEYWORD, STORE, HomeParts

STAGING_PREFIX = ".restore-"


def clear_stale_staging(home: Path) -> None:
    """Staging folders left by a restore that was cut short."""
    for stale in home.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def staging_folder(home: Path) -> Iterator[Path]:
    """A new folder in the home (the same file system, so moves are renames), removed after."""
    folder = home / f"{STAGING_PREFIX}{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage(backup: Path, parts: HomeParts, staging: Path, *, with_database: bool) -> None:
    """Copy the backup's parts into `staging`: store, keyword index, and the SQLite database."""
    copy_folder(backup / STORE, staging / STORE)
    copy_folder(backup / KEYWORD, staging / KEYWORD)
    if with_database:
        copy_sqlite(backup / DATABASE, staging / DATABASE)


def swap_in(parts: HomeParts, staging: Path, *, with_database: bool) -> None:
    """Move the staged parts into place, the home's present ones aside into the staging
    folder (deleted with it); an SQLite database's -wal and -shm go with it, since a new
    database beside the old one's -wal would read that as its own."""
    old = staging / "old"
    old.mkdir()
    moves = [(staging / STORE, parts.store), (staging / KEYWORD, parts.keyword)]
    if with_database and parts.database_file is not None:
        moves.append((staging / DATABASE, parts.database_file))
    for index, (new, target) in enumerate(moves):
        target.parent.mkdir(parents=True, exist_ok=True)
        _move_aside(target, old / str(index))
        new.rename(target)


def _move_aside(target: Path, aside: Path) -> None:
    aside.mkdir()
    if target.exists():
        target.rename(aside / target.name)
    if target.suffix in (".sqlite", ".sqlite3", ".db"):
        for side in SQLITE_SIDE_FILES:
            side_file = target.with_name(target.name + side)
            if side_file.exists():
                side_file.rename(aside / side_file.name)
