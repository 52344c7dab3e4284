"""The `newsdesk` command line: every command, option and help text."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot.cli.operator_parser import add_operator_commands, collection_name
from index.articles import SUPPORTED_SUFFIXES
from index.backends import BACKENDS

EXAMPLES = """\
examples:
  newsdesk index articles/ feed-dump.jsonl.gz https://example.org/news/story.html
  newsdesk feeds add https://example.org/rss.xml && newsdesk index --feeds
  newsdesk index articles/ --prune     # also drop articles whose files were deleted
  newsdesk ask "who controls Qairawan?"
  newsdesk ask "who controls Qairawan?" --json
  newsdesk status         # what is indexed, and what newsdesk runs on
  newsdesk start          # the bot if TELEGRAM_BOT_TOKEN is set, else a local chat

Settings come from the environment and .env; see .env.example for every one.
"""


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _version() -> str:
    """The installed package's version (pyproject.toml's), or a word saying it isn't installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsdesk")
    except PackageNotFoundError:
        return "(not installed)"


def _add_json(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="print one JSON object")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk",
        description="Answer questions about a collection of news articles, citing every claim.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsdesk {_version()}")
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
    index.add_argument(
        "--collection",
        type=collection_name,
        metavar="NAME",
        help=(
            "put the articles read into collection NAME (letters a-z, digits, - and _; a chat's "
            "/sources keeps to some collections). Without it, an article already indexed stays "
            "in its collection and a new one goes into 'main'; --feeds articles go into each "
            "feed's own"
        ),
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
    feeds.add_argument(
        "--collection",
        type=collection_name,
        metavar="NAME",
        help="add: the collection the feed's articles go into (default: main)",
    )

    commands.add_parser(
        "status",
        help="what the index holds and what newsdesk runs on",
        description=(
            "Print the index's size (articles, chunks, oldest and newest publication date), "
            "the embedding model and backend, the LLM, the database and the job queue. "
            "It only reads: on a fresh home it creates nothing."
        ),
    )

    ask = commands.add_parser(
        "ask",
        help="answer one question from the indexed articles",
        description=(
            "Answer a question with numbered citations of the passages it rests on. Time in "
            "the question counts: 'now' and 'latest' ask for the newest reports, and 'in "
            "January 2024', 'since March', 'last month' or 'yesterday' rank reports published "
            "then first; --since and --until keep to those publication dates."
        ),
    )
    ask.add_argument("question", nargs="+", help="the question (quote it, or not)")
    _add_json(ask)
    ask.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="answer as if asked on that day: later articles are left out (default: today)",
    )
    ask.add_argument(
        "--collection",
        action="append",
        type=collection_name,
        metavar="NAME",
        help="answer only from articles in collection NAME; may be repeated (default: all)",
    )
    ask.add_argument(
        "--since",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="answer only from articles published on or after that day",
    )
    ask.add_argument(
        "--until",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="answer only from articles published on or before that day",
    )

    evaluate = commands.add_parser(
        "eval",
        help="measure retrieval and answer quality on a bench folder",
        description=(
            "Index each BENCH_DIR (articles.jsonl.gz + questions.jsonl, the format of "
            "../shared/bench/rtqa-dev) into a store of its own, never yours, ask every question "
            "the way the bot does, and report Hit@1/4/10, MRR@10, answer accuracy (whole and "
            "short answer), median answer words, citation precision, refusal rate and latency."
        ),
    )
    evaluate.add_argument("bench", type=Path, nargs="+", metavar="BENCH_DIR")
    _add_json(evaluate)
    evaluate.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="ask only the first N questions; every article is still indexed, since retrieval "
        "searches the whole corpus (--store DIR keeps that index for the next run)",
    )
    evaluate.add_argument(
        "--baseline", action="store_true", help="also measure the textbook pipeline in the same run"
    )
    evaluate.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="the embedding backend to measure; repeat it to compare backends "
        "(default: NEWSDESK_EMBEDDING_BACKEND)",
    )
    keep = (
        "keep the bench index in DIR between runs (default: a new temp dir); with several "
        "benches or backends, one sub-folder each"
    )
    evaluate.add_argument("--store", type=Path, metavar="DIR", help=keep)
    evaluate.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="write the extractive answer to each question to FILE, one JSON line each (id, "
        "question, answer, short_answer, refused, gold_rank: the rank of the first passage "
        "holding the gold answer); with several benches or backends, FILE-BENCH-BACKEND",
    )
    evaluate.add_argument(
        "--llm",
        metavar="PROVIDER:MODEL",
        help="also answer with this LLM (e.g. openai:gpt-4o-mini) and report it beside the "
        "extractive default, measured in the same run: accuracy, supported-sentence share, "
        "citation precision, refusal rate, seconds per question (key: NEWSDESK_LLM_API_KEY)",
    )
    evaluate.add_argument(
        "--llm-base-url",
        metavar="URL",
        help="an OpenAI-compatible server for --llm (default: NEWSDESK_LLM_BASE_URL)",
    )

    models = commands.add_parser(
        "models",
        help="export the embedding model to ONNX, once (./start and the image's build do it)",
        description=(
            "Export NEWSDESK_EMBEDDING_MODEL to ONNX, fp32 and int8, into NEWSDESK_MODELS_DIR "
            "(default: NEWSDESK_HOME/models), unless it is there already. The ONNX backends "
            "then run without torch; the export itself needs the torch extra "
            "(pip install 'newsdesk[torch]'). The language detector's model is kept there "
            "too, unpacked, so that no question unpacks it."
        ),
    )
    models.add_argument("action", choices=["export"])

    prompts = commands.add_parser(
        "prompts",
        help="list, show, set, diff, history, rollback and test the prompt templates",
        description=(
            "Every change is kept as a version (who, when, the text) under NEWSDESK_HOME and is "
            "live for the next question, without a restart. An invalid template is refused "
            "with the reason and the live version stays."
        ),
        epilog=(
            "examples:\n  newsdesk prompts list\n  newsdesk prompts set refusal --file new.txt\n"
            "  newsdesk prompts test answer 'who controls Qairawan?' --file candidate.txt\n"
            "  newsdesk prompts rollback answer 3"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    prompts.add_argument(
        "action", choices=["list", "show", "set", "diff", "history", "rollback", "test"]
    )
    prompts.add_argument("args", nargs="*", metavar="NAME [VERSION|QUESTION]")
    prompts.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help="the new text (set), or a candidate to diff or test; - reads stdin",
    )

    commands.add_parser(
        "chat",
        help="ask questions in the terminal, one per line",
        description="A local chat over the same answering path as the bot. End with Ctrl-D.",
    )
    bot = commands.add_parser(
        "bot",
        help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)",
        description=(
            "Run the Telegram bot: long polling, or with --webhook (or NEWSDESK_WEBHOOK_URL set) "
            "a webhook server Telegram posts updates to, with /healthz for load balancers. "
            "Needs TELEGRAM_BOT_TOKEN."
        ),
    )
    bot.add_argument(
        "--webhook",
        action="store_true",
        help="serve a webhook at NEWSDESK_WEBHOOK_URL instead of polling",
    )
    commands.add_parser(
        "start",
        help="index the sample article if the index is empty, then run the bot or a local chat",
        description=(
            "The main job: on first run indexes the bundled sample article, then runs the "
            "Telegram bot if TELEGRAM_BOT_TOKEN is set, otherwise a local chat in the terminal."
        ),
    )
    add_operator_commands(commands)
    return parser
