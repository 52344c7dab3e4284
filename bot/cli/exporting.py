"""`newsdesk export answers`: the answer log, its citations and votes, as JSON lines or CSV,
to standard output or a file. Reads the database as it is: nothing is created or migrated."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TextIO

from bot.cli.errors import CommandError
from bot.settings import Settings
from bot.state.answer_export import ExportedAnswer, exported_answers
from bot.state.database import existing_database

COLUMNS = [f.name for f in fields(ExportedAnswer)]
# A cell starting with one of these is a formula to a spreadsheet: a question sent to the bot
# could run one on the operator's machine. Such cells get a leading ' (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_command(settings: Settings, args: argparse.Namespace) -> int:
    database = existing_database(settings.database_url)
    rows: Iterable[ExportedAnswer] = []
    if database is None:
        print("newsdesk: no answers recorded yet (no database)", file=sys.stderr)
    else:
        rows = exported_answers(database, args.since.timestamp() if args.since else None)
    with _output(args.output) as out:
        count = (write_csv if args.format == "csv" else write_jsonl)(rows, out)
    where = f" to {args.output}" if args.output else ""
    print(f"newsdesk: exported {count} answers{where}", file=sys.stderr)
    return 0


def write_jsonl(rows: Iterable[ExportedAnswer], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[ExportedAnswer], out: TextIO) -> int:
    """A header, then a row an answer; citations and votes as JSON in their cells. Commas,
    quotes and line breaks are quoted the standard way (RFC 4180)."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([_cell(value) for value in asdict(row).values()])
        count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or `path` written whole or not at all (a temp file renamed)."""
    if path is None:
        yield sys.stdout
        return
    staging = path.with_name(f".{path.name}.partial")
    try:
        with staging.open("w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(staging, path)
    except OSError as error:
        raise CommandError(f"can't write {path}: {error.strerror or error}") from None
    finally:
        staging.unlink(missing_ok=True)
