"""The `newsdesk` command: index, feeds, ask, eval, models, prompts, chat, bot and start. Each
command imports and builds only what it uses (a one-off `ask` loads no Telegram, no indexing
and no torch; `--help` and `--version` load no settings).
Every NewsdeskError is printed as `newsdesk: error: ...` with exit code 2."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from bot.cli.operator_parser import OPERATOR_COMMANDS
from bot.cli.parser import build_parser

if TYPE_CHECKING:
    from bot.redaction import Redactor
    from bot.settings import Settings

log = logging.getLogger(__name__)


def load_settings() -> Settings:
    from pydantic import ValidationError

    from bot.cli.errors import CommandError
    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise CommandError(f"invalid settings: {problems}") from None


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    """Entry point of the `newsdesk` command; returns the exit code."""
    # --help and --version end here, before settings, logging and pydantic are imported.
    args = build_parser().parse_args(argv)
    with collector_paused(args.command == "ask"):
        return run_main(args, stdin)


@contextmanager
def collector_paused(pause: bool) -> Iterator[None]:
    """With `pause`, Python's cyclic garbage collector off until the command returns. A
    one-off question is start-up and one answer: its imports make about 200,000 objects that
    live until exit (modules, classes, pydantic's schemas), and the collector's passes over
    them freed nothing while taking 0.15 s of its 1.8 s of CPU, at the same peak memory
    (BENCHMARKS.md, "Start-up without torch"). Turned back on after, for a caller that goes
    on (the tests call `main`)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run_main(args: argparse.Namespace, stdin: TextIO | None) -> int:
    from bot.errors import NewsdeskError
    from bot.logs import configure_logging
    from bot.redaction import Redactor, secrets_in_environment

    # Offline is the norm: nothing may download a model at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    redact = Redactor(secrets_in_environment(os.environ))
    try:
        settings = load_settings()
        redact = Redactor([*settings.secrets(), *redact.secrets])
        configure_logging(settings.log_level, redact, log_format=settings.log_format)
        return run_command(args, settings, redact, stdin or sys.stdin)
    except NewsdeskError as error:
        print(redact(f"newsdesk: error: {error}"), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `newsdesk ask ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\nnewsdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug of ours: its traceback is logged, redacted like all
        log.error("unexpected error", exc_info=error)
        print(
            redact(f"newsdesk: error: unexpected {type(error).__name__}: {error}"), file=sys.stderr
        )
        return 1


def run_command(
    args: argparse.Namespace, settings: Settings, redact: Redactor, stdin: TextIO
) -> int:
    """The command's own module, imported only when it runs."""
    if args.command == "ask":
        from bot.cli.asking import ask_command

        question = " ".join(args.question)
        return ask_command(
            settings,
            redact,
            question,
            as_json=args.json,
            as_of=args.as_of,
            since=args.since,
            until=args.until,
            collections=args.collection,
        )
    if args.command == "index":
        from bot.cli.indexing import index_command

        return index_command(settings, args, redact)
    if args.command == "feeds":
        from bot.cli.indexing import feeds_command

        return feeds_command(settings, args.action, args.url, redact, args.collection)
    if args.command == "status":
        from bot.cli.status import status_command

        return status_command(settings, redact)
    if args.command == "eval":
        from bot.cli.evaluating import eval_command

        return eval_command(settings, args)
    if args.command == "models":
        from bot.cli.models import models_command

        return models_command(settings)
    if args.command == "prompts":
        from bot.cli.prompting import prompts_command

        return prompts_command(settings, redact, args, stdin)
    if args.command in OPERATOR_COMMANDS:
        from bot.cli.operator import operator_command

        return operator_command(settings, args)
    from bot.cli import serving

    if args.command == "chat":
        return serving.chat_command(settings, redact, stdin)
    if args.command == "bot":
        return serving.bot_command(settings, redact, webhook=args.webhook)
    return serving.start_command(settings, redact, stdin)
