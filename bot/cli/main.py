"""The `newsdesk` command: index, feeds, ask, eval, prompts, chat, bot and start. Every
NewsdeskError is printed as `newsdesk: error: ...` with exit code 2."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from pydantic import ValidationError
from telegram.error import InvalidToken

from bot.app import Parts, build_indexer, build_parts, open_configured_store, open_state
from bot.cli.chat import run_chat
from bot.cli.parser import build_parser
from bot.cli.progress import IndexProgress
from bot.errors import NewsdeskError
from bot.logs import configure_logging
from bot.redaction import Redactor, secrets_in_environment
from bot.render import render_text
from bot.settings import Settings
from bot.telegram.app import build_application, run_polling
from index.embeddings import DEFAULT_BACKEND, make_embeddings
from index.ingest.sources import Sources
from index.pipeline import IndexSummary
from index.store import ArticleStore

log = logging.getLogger(__name__)


class CommandError(NewsdeskError):
    """A problem with the command line itself; printed like every NewsdeskError."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise CommandError(f"invalid settings: {problems}") from None


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    """Entry point of the `newsdesk` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    # Offline is the norm: nothing may download a model at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    redact = Redactor(secrets_in_environment(os.environ))
    try:
        settings = load_settings()
        redact = Redactor([*settings.secrets(), *redact.secrets])
        configure_logging(settings.log_level, redact)
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
    if args.command == "index":
        return index_command(settings, args, redact)
    if args.command == "feeds":
        return feeds_command(settings, args.action, args.url)
    if args.command == "ask":
        question = " ".join(args.question)
        return ask_command(settings, redact, question, as_json=args.json, as_of=args.as_of)
    if args.command == "eval":
        return eval_command(settings, args)
    if args.command == "prompts":
        return prompts_command(settings, redact, args, stdin)
    if args.command == "chat":
        return run_chat(build_parts(settings, redact=redact), stdin, sys.stdout)
    if args.command == "bot":
        return bot_command(settings, redact, webhook=args.webhook)
    return start_command(settings, redact, stdin)


def run_index(
    settings: Settings,
    sources: Sources,
    redact: Redactor,
    *,
    prune: bool = False,
    quiet: bool = False,
    store: ArticleStore | None = None,
) -> IndexSummary:
    indexer = build_indexer(settings, store=store)
    loaded = list(indexer.load(sources))  # read first, so that progress has a total
    progress = IndexProgress(len(loaded), sys.stderr, quiet=quiet)
    try:
        summary = indexer.run(sources, prune=prune, progress=progress, loaded=loaded)
    finally:
        progress.close()
    for problem in summary.problems:  # a URL may carry a password
        print(redact(f"skipped {problem}"), file=sys.stderr)
    return summary


def index_command(settings: Settings, args: argparse.Namespace, redact: Redactor) -> int:
    sources = Sources.parse(args.sources, args.include)
    if args.feeds:
        sources.feeds, sources.poll_feeds = open_state(settings).feeds.urls(), True
    if sources.is_empty():
        if args.feeds:
            raise CommandError("no feeds are listed yet: add one with `newsdesk feeds add URL`")
        raise CommandError("give files, folders or URLs to index, or --feeds")
    summary = run_index(settings, sources, redact, prune=args.prune, quiet=args.quiet)
    print(summary.describe())
    return 1 if summary.problems else 0


def feeds_command(settings: Settings, action: str, url: str | None) -> int:
    feeds = open_state(settings).feeds
    if action == "list":
        listed = feeds.urls()
        print(
            "\n".join(listed) if listed else "no feeds yet: add one with `newsdesk feeds add URL`"
        )
        return 0
    if not url:
        raise CommandError(f"`newsdesk feeds {action}` needs the feed's URL")
    if action == "add":
        added = feeds.add(url)
        print(f"added {url}; `newsdesk index --feeds` polls it" if added else f"{url} is listed")
        return 0
    if feeds.remove(url):
        print(f"removed {url}; `newsdesk index --feeds --prune` removes its articles")
        return 0
    raise CommandError(f"{url} is not in the feed list (see `newsdesk feeds list`)")


def prompts_command(
    settings: Settings, redact: Redactor, args: argparse.Namespace, stdin: TextIO
) -> int:
    from bot.prompt_commands import prompt_command

    text = None
    if args.file is not None:
        try:
            text = stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"can't read {args.file}: {error}") from None
    author = f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"
    service = build_parts(settings, lazy_model=True, redact=redact).service
    print(redact(prompt_command(service, args.action, args.args, author=author, text=text)))
    return 0


def ask_command(
    settings: Settings, redact: Redactor, question: str, *, as_json: bool, as_of: date | None
) -> int:
    answer = build_parts(settings, redact=redact).service.answer(question, as_of)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        if answer.understood_as:
            print(f"(Understood as: {answer.understood_as})")
        print(render_text(answer))
    return 0


def eval_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.evaluation.run import format_report, run_eval  # imports the bench-only parts lazily

    if args.limit is not None and args.limit < 1:
        raise CommandError("--limit must be at least 1")
    if args.llm_base_url and not args.llm:
        raise CommandError("--llm-base-url needs --llm PROVIDER:MODEL")
    llm = None
    if args.llm:
        from bot.answering.llm import make_chat_model

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        base_url = args.llm_base_url or settings.llm_base_url
        model = make_chat_model(args.llm, key, base_url, settings.llm_timeout_seconds)
        llm = (args.llm, model)
    backends = args.backend or [settings.embedding_backend]
    backends = [DEFAULT_BACKEND if backend == "auto" else backend for backend in backends]
    reports = []
    for bench in args.bench:
        for number, backend in enumerate(dict.fromkeys(backends)):
            embeddings = make_embeddings(
                settings.embedding_model, backend=backend, cache_dir=settings.models_dir
            )
            store_dir, answers = args.store, args.answers
            if len(args.bench) > 1 or len(backends) > 1:  # one store and answers file per pair
                if store_dir is not None:
                    store_dir = store_dir / f"{bench.name}-{backend}"
                if answers is not None:
                    answers = answers.with_name(f"{answers.name}-{bench.name}-{backend}")
            report = run_eval(
                bench,
                settings,
                embeddings,
                limit=args.limit,
                store_dir=store_dir,
                baseline=args.baseline and number == 0,  # the textbook's figures, once a bench
                llm=llm,
                answers=answers,
            )
            reports.append(report)
            if not args.json:
                print(format_report(report) + "\n", flush=True)
    if args.json:
        shown = [r.to_json() for r in reports]
        print(json.dumps(shown[0] if len(shown) == 1 else shown, indent=2))
    return 0


def _ensure_sample(settings: Settings, redact: Redactor) -> Parts:
    store = open_configured_store(settings)
    if store.count() == 0 and settings.sample_dir.exists():
        print(
            f"newsdesk: empty index; indexing the sample articles in {settings.sample_dir}",
            file=sys.stderr,
        )
        sample = Sources(paths=[settings.sample_dir])
        summary = run_index(settings, sample, redact, quiet=True, store=store)
        print(summary.describe(), file=sys.stderr)
    return build_parts(settings, store=store, redact=redact)


def bot_command(settings: Settings, redact: Redactor, *, webhook: bool = False) -> int:
    if webhook or settings.webhook_url:
        from bot.telegram.webhook import webhook_path  # aiohttp, for this mode only

        webhook_path(settings.webhook_url)  # a bad URL is said before the model loads
    return run_bot(build_parts(settings, redact=redact), webhook=webhook)


def run_bot(parts: Parts, *, webhook: bool = False) -> int:
    """The Telegram bot, polling until stopped, or with `webhook` (or NEWSDESK_WEBHOOK_URL
    set) serving a webhook; a token Telegram refuses is one clear line."""
    try:
        if parts.settings.role == "indexer":
            from bot.telegram.jobs import run_indexer

            run_indexer(build_application(parts))
        elif webhook or parts.settings.webhook_url:
            from bot.telegram.webhook import run_webhook

            run_webhook(build_application(parts, webhook=True))
        else:
            run_polling(build_application(parts))
    except InvalidToken:
        raise CommandError(
            "Telegram refused TELEGRAM_BOT_TOKEN: check it is the token @BotFather gave you"
        ) from None
    return 0


def start_command(settings: Settings, redact: Redactor, stdin: TextIO) -> int:
    parts = _ensure_sample(settings, redact)
    if settings.telegram_bot_token is None:
        print(
            "newsdesk: no TELEGRAM_BOT_TOKEN set, so this is the local chat over the same answers "
            "the bot gives.\n  To run the Telegram bot, put TELEGRAM_BOT_TOKEN=<token from "
            "@BotFather> in .env (see .env.example) and run this again.",
            file=sys.stderr,
        )
        return run_chat(parts, stdin, sys.stdout)
    print("newsdesk: starting the Telegram bot (Ctrl-C to stop)", file=sys.stderr)
    return run_bot(parts)
