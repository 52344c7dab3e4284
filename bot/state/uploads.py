"""The documents admins sent, kept in the shared database (the bytes themselves, at most
20 MB each), so the indexer re-syncs every upload, whichever replica received it. Before an
indexing run, `materialize` writes each recorded upload that is missing into the local
uploads folder as `<content hash>/<name>`; a file there that isn't recorded is left alone
and so never pruned from the index through this."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.state.database import Database
from bot.state.tables import uploads

log = logging.getLogger(__name__)
_SAFE_DIGEST = re.compile(r"[0-9a-f]{8,64}")


class UploadRecords:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, digest: str, name: str, data: bytes) -> bool:
        """Record an upload by its content hash; False if that content was already there."""
        row = {"digest": digest, "name": name, "data": data, "uploaded_at": time.time()}
        with self.database.transaction() as db:
            return self.database.insert_new(db, uploads, **row)

    def names(self) -> dict[str, str]:
        """Content hash -> file name of every recorded upload."""
        with self.database.transaction() as db:
            return {d: n for d, n in db.execute(select(uploads.c.digest, uploads.c.name)).all()}

    def count(self) -> int:
        with self.database.transaction() as db:
            return int(db.scalar(select(func.count()).select_from(uploads)) or 0)

    def materialize(self, folder: Path) -> list[Path]:
        """Write every recorded upload missing from `folder` (atomically); returns the paths
        of all recorded uploads there. The folder is made if missing: before the first upload
        it is simply empty, not a source /reindex reports as an error."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for digest, name in self.names().items():
            if (
                not _SAFE_DIGEST.fullmatch(digest)
                or Path(name).name != name
                or name[:1] in ("", ".")
            ):
                log.warning("upload record %r/%r skipped: not a safe file name", digest, name)
                continue
            path = folder / digest / name
            if not path.exists() and not any((folder / digest).glob("*")):
                self._write(digest, path)
            paths.append(path if path.exists() else sorted((folder / digest).glob("*"))[0])
        return paths

    def _write(self, digest: str, path: Path) -> None:
        with self.database.transaction() as db:
            data = db.scalar(select(uploads.c.data).where(uploads.c.digest == digest))
        if data is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.new")
        staging.write_bytes(bytes(data))
        os.replace(staging, path)
