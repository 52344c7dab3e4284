"""`newsdesk backup DIR` and `newsdesk restore DIR` (the work is `bot.backup`'s): the parts of
NEWSDESK_HOME from settings, the checks an operator needs told, and what was done."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.backup.copying import copy_folder, copy_sqlite, dump_postgres
from bot.backup.layout import DATABASE, KEYWORD, POSTGRES_DUMP, STORE, HomeParts
from bot.backup.manifest import BackupError, Manifest, list_files, read_manifest
from bot.backup.restoring import clear_stale_staging, stage, staging_folder, swap_in
from bot.settings import Settings
from bot.wiring.stores import keyword_index_folder, open_article_store, open_keyword_index
from index.writer_lock import WriterLock

SERVER_STORE = (
    "NEWSDESK_CHROMA_HOST is set: the store is a Chroma server's, which can't be copied from "
    "here. Back up the server's own folder (its --path) while it is stopped, and the database "
    "and keyword index of each machine by hand; `newsdesk backup` covers the embedded store."
)


def home_parts(settings: Settings) -> HomeParts:
    sqlite_file = settings.default_database_file if settings.database_url_setting is None else None
    if sqlite_file is None and settings.database_url.startswith("sqlite"):
        from bot.state.database import parse_url

        sqlite_file = Path(parse_url(settings.database_url).database or "")
    return HomeParts(
        home=settings.home,
        store=settings.chroma_dir,
        keyword=keyword_index_folder(settings),
        database_file=sqlite_file,
        database_url=settings.database_url,
        collection=settings.collection,
    )


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsdesk")
    except PackageNotFoundError:
        return "unknown"


def say(line: str) -> None:
    print(f"newsdesk: {line}", file=sys.stderr)


def backup_command(settings: Settings, folder: Path) -> int:
    if settings.chroma_host:
        raise BackupError(SERVER_STORE)
    parts = home_parts(settings)
    _check_outside(folder, parts)
    _check_empty(folder)
    store = open_article_store(settings)
    keyword = open_keyword_index(settings)
    with store.writing(say):  # no indexing run writes while the store is copied
        keyword.sync.catch_up(store)  # the copy's keyword index in step with its store
        overview = store.overview()
        copy_folder(parts.store, folder / STORE)
        copy_folder(parts.keyword, folder / KEYWORD)
        database, answers = _copy_database(parts, folder)
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        newsdesk_version=_installed_version(),
        collection=parts.collection,
        embedding=store.recorded_embedding() or "",
        articles=overview.articles,
        chunks=overview.chunks,
        keyword_chunks=keyword.folder.count(),
        database=database,
        answers=answers,
        files=list_files(folder),
    )
    manifest.write(folder)
    print(
        f"backed up {overview.articles} articles ({overview.chunks} chunks), the keyword "
        f"index and the database ({database}) to {folder}"
    )
    return 0


def _check_outside(folder: Path, parts: HomeParts) -> None:
    """A backup inside what it copies would copy itself, without end."""
    where = folder.resolve()
    for part in (parts.store, parts.keyword):
        if where == part.resolve() or part.resolve() in where.parents:
            raise BackupError(
                f"{folder} is inside {part}, which the backup copies: give a folder outside it"
            )


def _check_empty(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BackupError(f"{folder} is a file, not a folder")
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(
            f"{folder} is not empty: give a new or empty folder, so no backup "
            "is ever mixed with other files"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"can't make {folder}: {error.strerror or error}") from None


def _copy_database(parts: HomeParts, folder: Path) -> tuple[str, int | None]:
    """The database into the backup: what it is, and how many answers it holds."""
    if parts.database_file is not None:
        if parts.database_file.exists():
            copy_sqlite(parts.database_file, folder / DATABASE)
        else:  # nothing kept yet: the backup gets an empty one, the home is left as it is
            from bot.state.database import open_database

            open_database(f"sqlite:///{folder / DATABASE}").dispose()
        return "sqlite", _answers_in(folder / DATABASE)
    if dump_postgres(parts.database_url, folder / POSTGRES_DUMP):
        say(
            f"the Postgres database was dumped with pg_dump into {POSTGRES_DUMP}; restore it "
            "with pg_restore"
        )
        return "postgres (pg_dump)", None
    say(
        "the database is Postgres and pg_dump isn't installed: it is NOT in this backup; back "
        "it up with pg_dump (or your provider's backups)"
    )
    return "postgres (not included)", None


def _answers_in(database_file: Path) -> int:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(database_file)) as db:
        return int(db.execute("SELECT count(*) FROM answers").fetchone()[0])


def restore_command(settings: Settings, folder: Path, *, force: bool) -> int:
    if settings.chroma_host:
        raise BackupError(SERVER_STORE.replace("Back up", "Restore").replace("backup", "restore"))
    manifest = read_manifest(folder)
    parts = home_parts(settings)
    if manifest.collection != parts.collection:
        raise BackupError(
            f"the backup holds the collection {manifest.collection!r}, not "
            f"{parts.collection!r}: set NEWSDESK_COLLECTION={manifest.collection}"
        )
    present = parts.present()
    if present and not force:
        held = ", ".join(str(path) for path in present)
        raise BackupError(
            f"{parts.home} already holds data ({held}); restore into a new "
            "NEWSDESK_HOME, or add --force to replace it (stop the bot first)"
        )
    with_database = manifest.database == "sqlite" and parts.database_file is not None
    parts.home.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(parts.home)
    with staging_folder(parts.home) as staging:
        stage(folder, parts, staging, with_database=with_database)
        # No indexing run of this home writes while its store is swapped.
        with WriterLock(parts.store, settings.index_wait_seconds).held(say):
            swap_in(parts, staging, with_database=with_database)
    _say_about_database(manifest, parts, with_database)
    print(
        f"restored {manifest.articles} articles ({manifest.chunks} chunks), the keyword index"
        f"{' and the database' if with_database else ''} from the backup of "
        f"{manifest.created_at} into {parts.home}"
    )
    return 0


def _say_about_database(manifest: Manifest, parts: HomeParts, with_database: bool) -> None:
    if with_database:
        return
    if manifest.database == "postgres (pg_dump)":
        say(
            f"the database was not restored: load {POSTGRES_DUMP} with pg_restore into the "
            "database NEWSDESK_DATABASE_URL names"
        )
    elif manifest.database == "sqlite":
        say(
            f"the database was not restored: NEWSDESK_DATABASE_URL is Postgres; the backup's "
            f"SQLite database is {DATABASE} in the backup"
        )
    else:
        say("the backup holds no database (it was Postgres without pg_dump)")
