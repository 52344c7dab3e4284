"""Many readers at once: the real bot polls the fake Bot API on 127.0.0.1; each of N readers
asks Q questions about the sample article, one after another (the next once the last is
answered). Measured for the extractive answerer and for a fake LLM taking --llm-seconds per
answer, each on the concurrent bot (NEWSDESK_CONCURRENT_UPDATES, default) and on the serial
one (NEWSDESK_CONCURRENT_UPDATES=1), plus one reader alone on the concurrent bot with the
fake LLM: the goal's baseline (p95 with 50 readers <= 3x that of one).

    .venv/bin/python -m bench.concurrency [--readers 50] [--questions 4] [--llm-seconds 2]

The serial bot is measured with --serial-readers (default 10): it answers one question at a
time, so 50 readers x 4 questions x 2 s would take over 7 minutes. A configuration still
running after --limit seconds is stopped and reported with what it delivered by then.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_DIR
from bot.wiring.bot import BotServices, build_bot
from index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles
from index.store import ArticleStore, open_store
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fakes import SlowChatModel

QUESTIONS = [
    "who controls Qairawan?",
    "who leads the Badr Organization?",
    "what did the International Coalition say about the coming fighting?",
    "where is Baaj?",
]
LLM_ANSWER = "The Popular Mobilization Units hold Qairawan, the statement says [1]."
FIRST_READER = 20_000


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Result:
    name: str
    readers: int
    delivered: int
    asked: int
    latencies: list[float]
    seconds: float

    def line(self) -> str:
        ordered = sorted(self.latencies) or [float("nan")]
        p50 = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        rate = self.delivered / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<30} {self.readers:>3} readers  "
            f"{self.delivered:>3}/{self.asked:<3} delivered  "
            f"p50 {p50:6.2f} s  p95 {p95:6.2f} s  {rate:6.2f} answers/s  ({self.seconds:.0f} s)"
        )

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0


def answers(fake: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    """The answers the fake accepted in the chat (an answer carries the source buttons)."""
    return [
        params
        for params in fake.sent(chat_id=chat_id)
        if params.get("reply_markup") and params.get("_status") == 200
    ]


def run(
    name: str, parts: BotServices, home: Path, readers: int, questions: int, **settings: Any
) -> Result:
    """Each reader asks `questions` in turn; returns what was delivered and how fast."""
    runner = BotRunner()
    fake = runner.start(lambda **values: make_settings(home, **values, **settings), parts)
    chats = range(FIRST_READER, FIRST_READER + readers)
    asked_at: dict[int, list[float]] = {chat: [] for chat in chats}
    limit = settings.pop("limit", None)
    started = time.monotonic()
    deadline = started + float(limit or 3600)
    try:
        while time.monotonic() < deadline:
            waiting = False
            for chat in chats:
                got = len(answers(fake, chat))
                if got == len(asked_at[chat]) and got < questions:
                    asked_at[chat].append(time.monotonic())
                    fake.push_message(
                        QUESTIONS[got % len(QUESTIONS)] + f" ({got + 1})",
                        chat_id=chat,
                        user_id=chat,
                    )
                waiting = waiting or got < questions
            if not waiting:
                break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        latencies = [
            float(answer["_received"]) - asked_at[chat][i]
            for chat in chats
            for i, answer in enumerate(answers(fake, chat)[:questions])
        ]
    finally:
        runner.stop_all()
    return Result(name, readers, len(latencies), readers * questions, latencies, seconds)


def seed(home: Path, embeddings: SentenceTransformerEmbeddings) -> ArticleStore:
    store = open_store("newsdesk-articles", path=home / "chroma")
    index_articles(load_paths([PROJECT_DIR / "data" / "sample"]), store, embeddings)
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--questions", type=int, default=4)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    parser.add_argument(
        "--serial-readers",
        type=int,
        default=10,
        help="readers for the serial bot, which answers one at a time: its latency grows with "
        "their number, and 50 readers x 4 questions x 2 s would take over 7 minutes",
    )
    parser.add_argument("--limit", type=float, default=180.0, help="seconds per configuration")
    args = parser.parse_args()
    readers, questions, serial = args.readers, args.questions, args.serial_readers
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        embeddings = make_embeddings()
        store = seed(home, embeddings)
        # No rate limit: its counters are in the database, so they carry over from one
        # configuration to the next on this home, and the first reader, who asks in every
        # configuration, would be refused past 10 questions a minute (an earlier run lost 2
        # of 40 answers that way).
        common = {
            "NEWSDESK_FEED_POLL_MINUTES": 0,
            "NEWSDESK_KEYWORD_REFRESH_SECONDS": 0,
            "NEWSDESK_RATE_LIMIT_PER_MINUTE": 0,
        }
        extractive = build_bot(make_settings(home), store=store, embeddings=embeddings)
        model = SlowChatModel(responses=[LLM_ANSWER], seconds=args.llm_seconds)
        llm = build_bot(make_settings(home), store=store, embeddings=embeddings, chat_model=model)
        plan = [
            ("fake LLM, 1 reader (baseline)", llm, 1, {}),
            ("extractive, concurrent", extractive, readers, {}),
            ("extractive, serial", extractive, serial, {"NEWSDESK_CONCURRENT_UPDATES": 1}),
            (f"fake LLM {args.llm_seconds:g} s, concurrent", llm, readers, {}),
            (
                f"fake LLM {args.llm_seconds:g} s, serial",
                llm,
                serial,
                {"NEWSDESK_CONCURRENT_UPDATES": 1},
            ),
        ]
        for name, parts, count, extra in plan:
            say(f"running: {name} ({count} readers x {questions} questions)")
            result = run(name, parts, home, count, questions, **common, **extra, limit=args.limit)
            say(result.line())
            results.append(result)
    print(f"{questions} questions a reader, limit {args.limit:.0f} s a configuration")
    for result in results:
        print(result.line())
    baseline, concurrent_llm = results[0], results[3]
    ratio = concurrent_llm.p95 / baseline.p95 if baseline.p95 else float("inf")
    met = ratio <= 3 and concurrent_llm.delivered == concurrent_llm.asked
    verdict = "met" if met else "NOT met"
    print(f"goal p95 <= 3x one reader's p95 with the fake LLM: {ratio:.2f}x, {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
