"""The parts of a home a backup holds, and their places in the backup folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MANIFEST = "newsdesk-backup.json"
# Places in the backup folder.
STORE = "chroma"
KEYWORD = "keyword"
DATABASE = "newsdesk.sqlite"
POSTGRES_DUMP = "database.pgdump"
# Not copied: locks are a running process's, not data (ours, and tantivy's own).
SKIPPED_FILES = frozenset(
    {"newsdesk-writer.lock", "newsdesk-setup.lock", ".tantivy-meta.lock", ".tantivy-writer.lock"}
)


@dataclass(frozen=True)
class HomeParts:
    """Where a home keeps what a backup copies. `database_file` is None when the database is
    Postgres (`database_url` then names it)."""

    home: Path
    store: Path
    keyword: Path
    database_file: Path | None
    database_url: str
    collection: str

    def present(self) -> list[Path]:
        """Those parts that hold something already (a restore would replace them)."""
        held = [path for path in (self.store, self.keyword) if _holds_files(path)]
        if self.database_file is not None and self.database_file.exists():
            held.append(self.database_file)
        return held


def _holds_files(folder: Path) -> bool:
    return folder.is_dir() and any(
        path.is_file() and path.name not in SKIPPED_FILES for path in folder.rglob("*")
    )
