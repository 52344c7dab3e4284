"""The `newsdesk` command: index, ask, chat, bot and start."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot.chat import run_chat
from bot.evaluation import BenchError
from bot.llm import LLMConfigError
from bot.logs import configure_logging
from bot.prompts import PromptError
from bot.render import render_text
from bot.rerank import RerankerError
from bot.service import (
    AnswerService,
    QuestionError,
    build_indexer,
    build_service,
    open_configured_store,
)
from bot.settings import Settings
from bot.telegram_app import MissingTokenError, build_application
from index.embeddings import EmbeddingModelError, make_embeddings
from index.feeds import FeedList, FeedListError
from index.loaders import SUPPORTED_SUFFIXES
from index.pipeline import IndexSummary, Progress
from index.sources import Sources
from index.store import ArticleStore, StoreError

EXAMPLES = """\
examples:
  newsdesk index articles/ feed-dump.jsonl.gz https://example.org/news/story.html
  newsdesk feeds add https://example.org/rss.xml && newsdesk index --feeds
  newsdesk index articles/ --prune     # also drop articles whose files were deleted
  newsdesk ask "who controls Qairawan?"
  newsdesk ask "who controls Qairawan?" --json
  newsdesk start          # the bot if TELEGRAM_BOT_TOKEN is set, else a local chat

Settings come from the environment and .env; see .env.example for every one.
"""


class CommandError(Exception):
    """A problem the user can fix; printed as `newsdesk: error: ...` with exit code 2."""


USER_ERRORS = (
    CommandError,
    BenchError,
    StoreError,
    EmbeddingModelError,
    PromptError,
    QuestionError,
    LLMConfigError,
    MissingTokenError,
    RerankerError,
    FeedListError,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk",
        description="Answer questions about a collection of news articles, citing every claim.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser(
        "index",
        help="add articles from files, folders, web pages and feeds to the index",
        description=(
            "Index articles from files and folders (recursively), web page URLs, and with "
            f"--feeds the feeds added with `newsdesk feeds add`. File formats: "
            f"{', '.join(SUPPORTED_SUFFIXES)}. Unchanged articles are not embedded again, and "
            "a run cut short (even by kill -9) is completed by running it again. Sources that "
            "can't be read are reported and skipped; the exit code is 1 if any were."
        ),
    )
    index.add_argument("sources", nargs="*", metavar="SOURCE", help="a file, folder or URL")
    index.add_argument("--feeds", action="store_true", help="also poll every listed feed")
    index.add_argument(
        "--prune",
        action="store_true",
        help=(
            "remove articles whose source is gone: files deleted from the given folders, "
            "records no longer in the given files, and (with --feeds) feeds no longer listed"
        ),
    )
    index.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="in folders, index only files matching GLOB (e.g. '*.md'); may be repeated",
    )
    index.add_argument("--quiet", action="store_true", help="print only the summary")

    feeds = commands.add_parser(
        "feeds",
        help="keep the list of RSS/Atom feeds that `index --feeds` and the bot poll",
        description=(
            "Add, list or remove feeds. `newsdesk index --feeds` polls them, and so does the bot "
            "every NEWSDESK_FEED_POLL_MINUTES."
        ),
    )
    feeds.add_argument("action", choices=["add", "list", "remove"])
    feeds.add_argument("url", nargs="?", metavar="URL", help="the feed's URL (add and remove)")

    ask = commands.add_parser(
        "ask",
        help="answer one question from the indexed articles",
        description="Answer a question with numbered citations of the passages it rests on.",
    )
    ask.add_argument("question", nargs="+", help="the question (quote it, or not)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="answer as if asked on that day: later articles are left out (default: today)",
    )

    evaluate = commands.add_parser(
        "eval",
        help="measure retrieval and answer quality on a bench folder",
        description=(
            "Index BENCH_DIR (articles.jsonl.gz + questions.jsonl, the format of "
            "../shared/bench/rtqa-dev) into a store of its own, never yours, ask every question "
            "the way the bot does, and report Hit@1/4/10, MRR@10, answer accuracy, citation "
            "precision, refusal rate and latency."
        ),
    )
    evaluate.add_argument("bench", type=Path, metavar="BENCH_DIR")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--limit", type=int, metavar="N", help="ask only the first N questions")
    evaluate.add_argument(
        "--baseline",
        action="store_true",
        help="also measure the textbook LangChain pipeline in the same run",
    )
    evaluate.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="keep the bench index in DIR between runs (default: a new temp dir)",
    )

    commands.add_parser(
        "chat",
        help="ask questions in the terminal, one per line",
        description="A local chat over the same answering path as the bot. End with Ctrl-D.",
    )
    commands.add_parser(
        "bot",
        help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)",
        description="Run the Telegram bot with long polling. Needs TELEGRAM_BOT_TOKEN.",
    )
    commands.add_parser(
        "start",
        help="index the sample article if the index is empty, then run the bot or a local chat",
        description=(
            "The main job: on first run indexes the bundled sample article, then runs the "
            "Telegram bot if TELEGRAM_BOT_TOKEN is set, otherwise a local chat in the terminal."
        ),
    )
    return parser


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
    args = _parser().parse_args(argv)
    # Offline is the norm: nothing may download a model at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        settings = load_settings()
        token = settings.telegram_bot_token
        configure_logging(settings.log_level, [token.get_secret_value()] if token else [])
        if args.command == "index":
            return index_command(settings, args)
        if args.command == "feeds":
            return feeds_command(settings, args.action, args.url)
        if args.command == "ask":
            return ask_command(
                settings, " ".join(args.question), as_json=args.json, as_of=args.as_of
            )
        if args.command == "eval":
            return eval_command(settings, args)
        if args.command == "chat":
            return run_chat(build_service(settings), stdin or sys.stdin, sys.stdout)
        if args.command == "bot":
            return bot_command(settings)
        return start_command(settings, stdin or sys.stdin)
    except USER_ERRORS as error:
        print(f"newsdesk: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `newsdesk ask ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\nnewsdesk: interrupted", file=sys.stderr)
        return 130


def _progress_printer(quiet: bool) -> Progress:
    last = [0.0]

    def show(summary: IndexSummary) -> None:
        now = time.monotonic()
        if not quiet and now - last[0] >= 2.0:
            last[0] = now
            print(
                f"  ... {summary.articles_read} articles read, "
                f"{summary.chunks_added} chunks embedded",
                file=sys.stderr,
            )

    return show


def run_index(
    settings: Settings,
    sources: Sources,
    *,
    prune: bool = False,
    quiet: bool = False,
    store: ArticleStore | None = None,
) -> IndexSummary:
    indexer = build_indexer(settings, store=store)
    summary = indexer.run(sources, prune=prune, progress=_progress_printer(quiet))
    for problem in summary.problems:
        print(f"skipped {problem}", file=sys.stderr)
    return summary


def index_command(settings: Settings, args: argparse.Namespace) -> int:
    sources = Sources.parse(args.sources, args.include)
    if args.feeds:
        sources.feeds, sources.poll_feeds = FeedList(settings.feeds_file).urls(), True
    if sources.is_empty():
        if args.feeds:
            raise CommandError("no feeds are listed yet: add one with `newsdesk feeds add URL`")
        raise CommandError("give files, folders or URLs to index, or --feeds")
    summary = run_index(settings, sources, prune=args.prune, quiet=args.quiet)
    print(summary.describe())
    return 1 if summary.problems else 0


def feeds_command(settings: Settings, action: str, url: str | None) -> int:
    feeds = FeedList(settings.feeds_file)
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


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def ask_command(settings: Settings, question: str, *, as_json: bool, as_of: date | None) -> int:
    service = build_service(settings)
    answer = service.answer(question, as_of)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_text(answer))
    return 0


def eval_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.evaluation import format_report, run_eval  # imports the bench-only parts lazily

    if args.limit is not None and args.limit < 1:
        raise CommandError("--limit must be at least 1")
    embeddings = make_embeddings(settings.embedding_model)
    report = run_eval(
        args.bench,
        settings,
        embeddings,
        limit=args.limit,
        store_dir=args.store,
        baseline=args.baseline,
    )
    print(json.dumps(report.to_json(), indent=2) if args.json else format_report(report))
    return 0


def _ensure_sample(settings: Settings) -> AnswerService:
    store = open_configured_store(settings)
    if store.count() == 0 and settings.sample_dir.exists():
        print(
            f"newsdesk: empty index; indexing the sample articles in {settings.sample_dir}",
            file=sys.stderr,
        )
        summary = run_index(settings, Sources(paths=[settings.sample_dir]), quiet=True, store=store)
        print(summary.describe(), file=sys.stderr)
    return build_service(settings, store=store)


def bot_command(settings: Settings) -> int:
    service = build_service(settings)
    build_application(settings, service).run_polling()
    return 0


def start_command(settings: Settings, stdin: TextIO) -> int:
    service = _ensure_sample(settings)
    if settings.telegram_bot_token is None:
        print(
            "newsdesk: no TELEGRAM_BOT_TOKEN set, so this is the local chat over the same answers "
            "the bot gives.\n  To run the Telegram bot, put TELEGRAM_BOT_TOKEN=<token from "
            "@BotFather> in .env (see .env.example) and run this again.",
            file=sys.stderr,
        )
        return run_chat(service, stdin, sys.stdout)
    print("newsdesk: starting the Telegram bot (Ctrl-C to stop)", file=sys.stderr)
    build_application(settings, service).run_polling()
    return 0
