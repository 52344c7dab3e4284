"""Answers under Telegram faults: the real bot polls the fake Bot API on 127.0.0.1, which
fails a share of all calls (getUpdates too) at random with 429, 500, 502, a timeout or a
dropped connection; each of N readers asks one question. Counts the readers answered, and
any answered twice.

    .venv/bin/python -m bench.telegram_faults [--questions 200] [--fault-rate 0.2] [--seed 0]

Runs over the bundled sample article in a temp folder; gives up after --deadline seconds.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import SAMPLE_DIR
from bot.wiring.bot import build_bot
from index.chroma_client import open_store
from index.embeddings import make_embeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI

QUESTION = "who controls Qairawan?"
ANSWER_MARK = "al-Hashd al-Shaabi"
FIRST_READER = 10_000


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def answers_per_reader(fake: FakeBotAPI, readers: range) -> dict[int, int]:
    return {
        reader: sum(ANSWER_MARK in text for text in fake.delivered(chat_id=reader))
        for reader in readers
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=900.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        embeddings = make_embeddings()
        store = open_store("newsdesk-articles", path=home / "chroma")
        index_articles(load_paths([SAMPLE_DIR]), store, embeddings)
        parts = build_bot(make_settings(home), store=store, embeddings=embeddings)
        runner = BotRunner()
        fake = runner.start(
            lambda **telegram: make_settings(
                home,
                TELEGRAM_TIMEOUT_SECONDS="1",
                NEWSDESK_RATE_LIMIT_PER_MINUTE="0",
                NEWSDESK_FEED_POLL_MINUTES="0",
                **telegram,
            ),
            parts,
        )
        try:
            return run(fake, args)
        finally:
            runner.stop_all()


def run(fake: FakeBotAPI, args: argparse.Namespace) -> int:
    fake.timeout_fault_seconds = 1.5  # longer than the bot waits for an answer
    fake.fail_at_random(args.fault_rate, seed=args.seed)
    readers = range(FIRST_READER, FIRST_READER + args.questions)
    started = time.monotonic()
    for reader in readers:
        fake.push_message(QUESTION, chat_id=reader, user_id=reader)
    try:
        fake.wait_for(
            lambda: all(answers_per_reader(fake, readers).values()), timeout=args.deadline
        )
    except AssertionError:
        say(f"gave up after {args.deadline:g} s")
    elapsed = time.monotonic() - started
    time.sleep(2.0)  # time for a late duplicate to arrive
    counts = answers_per_reader(fake, readers)
    answered = sum(1 for count in counts.values() if count)
    duplicated = sum(1 for count in counts.values() if count > 1)
    kinds = collections.Counter(str(fault) for _, fault, _ in fake.injected)
    polls_failed = sum(1 for method, _, _ in fake.injected if method == "getUpdates")
    others_failed = len(fake.injected) - polls_failed
    others = len(fake.calls) + others_failed  # the fake records only the calls it took
    print(
        f"{args.questions} questions, {answered} answered, {duplicated} answered more than "
        f"once, in {elapsed:.0f} s. Faults: {others_failed} of {others} calls besides "
        f"getUpdates, and {polls_failed} getUpdates; by kind {dict(sorted(kinds.items()))}"
    )
    return 0 if answered == args.questions and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
