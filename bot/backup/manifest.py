"""The manifest of a backup: what it holds (format version, when, counts) and every file's
size and sha256. Written last, so a backup cut short has none and can't be restored; read
and checked first by a restore, which refuses a missing, damaged or foreign one."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.backup.layout import MANIFEST
from index.errors import NewsdeskError

FORMAT = "newsdesk-backup"
VERSION = 1
HASH_BLOCK = 1024 * 1024


class BackupError(NewsdeskError):
    """A backup can't be made or restored; the message says which folder and why."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    newsdesk_version: str
    collection: str
    embedding: str
    articles: int
    chunks: int
    keyword_chunks: int
    database: str  # "sqlite", "postgres (pg_dump)" or "postgres (not included)"
    answers: int | None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path: bytes, sha256
    format: str = FORMAT
    version: int = VERSION

    def write(self, folder: Path) -> None:
        staging = folder / f".{MANIFEST}.new"
        staging.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        os.replace(staging, folder / MANIFEST)


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(HASH_BLOCK):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def list_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under `folder` but the manifest, by its path relative to the folder."""
    return {
        path.relative_to(folder).as_posix(): file_digest(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def read_manifest(folder: Path) -> Manifest:
    """The folder's manifest, checked: its format and version, and every file it lists
    present with its size and checksum."""
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder")
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(
            f"{folder} holds no newsdesk backup: {MANIFEST} is missing (a backup "
            "cut short has none)"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError(f"format is {raw.get('format')!r}, not {FORMAT!r}")
        if not isinstance(raw.get("version"), int) or raw["version"] > VERSION:
            raise ValueError(f"version {raw.get('version')!r}; this newsdesk reads {VERSION}")
        manifest = Manifest(**raw)
        if not isinstance(manifest.files, dict) or not manifest.files:
            raise ValueError("it lists no files")
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as error:
        raise BackupError(f"{path} is damaged or not a newsdesk manifest: {error}") from None
    _check_files(folder, manifest.files)
    return manifest


def _check_files(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    for name, expected in files.items():
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:
            raise BackupError(f"{folder / MANIFEST} lists a file outside the backup: {name!r}")
        if not path.is_file():
            raise BackupError(f"the backup in {folder} is incomplete: {name} is missing")
        if file_digest(path) != {"bytes": expected.get("bytes"), "sha256": expected.get("sha256")}:
            raise BackupError(
                f"the backup in {folder} is damaged: {name} is not as backed up "
                "(size or checksum differs)"
            )
