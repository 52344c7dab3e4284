"""The operator's data commands on the command line: `articles`, `export`, `backup` and
`restore` (their help texts and options; `bot.cli.operator` runs them)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OPERATOR_COMMANDS = ("articles", "export", "backup", "restore")
PER_PAGE = 20
SHOW_CHARS = 600


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def collection_name(text: str) -> str:
    """A --collection value, checked as a collection name (index/collections.py)."""
    from index.collections import CollectionNameError, check_collection_name

    try:
        return check_collection_name(text)
    except CollectionNameError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def since_time(text: str) -> datetime:
    """A date (YYYY-MM-DD, from its midnight) or a date and time; UTC unless it says."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r} (use YYYY-MM-DD, or YYYY-MM-DDTHH:MM with an optional zone)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_operator_commands(commands: Any) -> None:
    """Add the four commands to the `newsdesk` subparsers `commands`."""
    _add_articles(commands)
    _add_export(commands)
    _add_backup(commands)


def _add_articles(commands: Any) -> None:
    articles = commands.add_parser(
        "articles",
        help="list, show or remove indexed articles",
        description=(
            "list: the indexed articles, newest first, a page at a time (id, date, source, "
            "title, chunks). show ID: one article's details and the start of its text. "
            "rm ID: remove the article's chunks from the vector store and the keyword index, "
            "holding the same writer lock as indexing; a later `newsdesk index` of a source "
            "that still holds it indexes it again. ID is the id `list` shows (or a unique "
            "start of it, 4 characters or more), or the article's url or file path."
        ),
        epilog=(
            "examples:\n  newsdesk articles list --search mosul --page 2\n"
            "  newsdesk articles show 3f2a9c1b07de\n  newsdesk articles rm 3f2a9c1b07de"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    articles.add_argument("action", choices=["list", "show", "rm"])
    articles.add_argument("id", nargs="?", metavar="ID", help="the article (show and rm)")
    articles.add_argument(
        "--page", type=positive_int, default=1, metavar="N", help="list: page N (default 1)"
    )
    articles.add_argument(
        "--per-page",
        type=positive_int,
        default=PER_PAGE,
        metavar="N",
        help=f"list: articles a page (default {PER_PAGE})",
    )
    articles.add_argument(
        "--search", default="", metavar="TEXT", help="list: only titles holding TEXT (any case)"
    )
    articles.add_argument(
        "--collection",
        action="append",
        type=collection_name,
        metavar="NAME",
        help="list: only articles in collection NAME; may be repeated (default: all)",
    )
    articles.add_argument(
        "--chars",
        type=positive_int,
        default=SHOW_CHARS,
        metavar="N",
        help=f"show: the first N characters of the text (default {SHOW_CHARS})",
    )
    articles.add_argument(
        "--dry-run", action="store_true", help="rm: say what would be removed, remove nothing"
    )
    articles.add_argument("--json", action="store_true", help="list and show: print JSON")


def _add_export(commands: Any) -> None:
    export = commands.add_parser(
        "export",
        help="export the answer log (answers, citations and votes) as JSON lines or CSV",
        description=(
            "Write every answer the bot recorded, oldest first: when, chat and user ids, the "
            "question, the answer, whether it was a refusal, latency, prompt version, its "
            "citations (title, source, url, date, quote) and the readers' votes."
        ),
        epilog=(
            "examples:\n  newsdesk export answers --format csv --output answers.csv\n"
            "  newsdesk export answers --since 2026-11-01 | jq .question"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("what", choices=["answers"])
    export.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        default="jsonl",
        help="jsonl: one JSON object a line (default); csv: a header, citations as JSON",
    )
    export.add_argument(
        "--since",
        type=since_time,
        metavar="DATE",
        help="only answers given from DATE on (YYYY-MM-DD or an ISO date and time; UTC)",
    )
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)"
    )


def _add_backup(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="copy the index, keyword index and database into an empty folder",
        description=(
            "Copy the embedded Chroma store, the keyword index and the SQLite database of "
            "NEWSDESK_HOME into DIR (new or empty), with a manifest (version, date, counts, "
            "checksums). Holds the writer lock, so no indexing run writes meanwhile; "
            "questions are answered meanwhile. A Chroma server's store is not copied (back "
            "up the server's folder); a Postgres database is dumped with pg_dump if it is "
            "installed, else left to you."
        ),
    )
    backup.add_argument("dir", type=Path, metavar="DIR")
    restore = commands.add_parser(
        "restore",
        help="put a backup made by `newsdesk backup` into NEWSDESK_HOME",
        description=(
            "Check DIR's manifest and every file's checksum, copy the backup beside "
            "NEWSDESK_HOME's data, then move it into place: a restore cut short leaves the "
            "home as it was. Refuses a home that already holds an index or database unless "
            "--force; stop the bot first."
        ),
    )
    restore.add_argument("dir", type=Path, metavar="DIR")
    restore.add_argument(
        "--force", action="store_true", help="replace the index and database the home holds"
    )
