"""Consistent copies of a home's parts. An SQLite file (the database, and Chroma's own
chroma.sqlite3) is copied through SQLite's online backup API, which sees one committed state
even while another process reads or writes it; a plain file copy could catch a write half-way
or miss what is still in its -wal file. Everything else is copied file by file: the caller
holds the store's writer lock, so no indexing run changes it meanwhile."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from bot.backup.layout import SKIPPED_FILES
from bot.backup.manifest import BackupError

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
PG_DUMP_SECONDS = 3600


def copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def copy_folder(source: Path, target: Path) -> None:
    """`source` into `target`, its SQLite files through the backup API, its side files
    (-wal, -shm) left out as the copy holds their content, and the writer lock left out."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif path.name in SKIPPED_FILES or path.name.endswith(SQLITE_SIDE_FILES):
            continue
        elif path.name.endswith(SQLITE_SUFFIXES):
            copy_sqlite(path, destination)
        else:
            shutil.copy2(path, destination)


def dump_postgres(url: str, target: Path) -> bool:
    """`pg_dump` of the database at `url` into `target` (custom format, for pg_restore);
    False if pg_dump isn't installed. The password goes in the environment, not the command
    line, where any user could read it."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return False
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    libpq_url = parsed.set(drivername="postgresql", password=None).render_as_string(False)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    result = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={libpq_url}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=PG_DUMP_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        raise BackupError(f"pg_dump failed: {reason}")
    return True
