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

    .venv/bin/python -m bench.concurrency --flood [--readers 50] [--questions 4]

measures instead what one member flooding a group (60 mentions and 40 button presses, as the
red team of issue 31 did) does to everyone else: the readers in their private chats, and
another member of that group asking one question right after; with the flood and, as the
same run's baseline, with that member asking once instead (extractive, the rate limit on at
its default in both). The fake Bot API holds the bot to Telegram's 20 messages a minute per
group.
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

from bot.settings import SAMPLE_DIR
from bot.wiring.bot import BotServices, build_bot
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI, as_held, button_data
from tests.support.fakes import SlowChatModel

QUESTIONS = [
    "who controls Qairawan?",
    "who leads the Badr Organization?",
    "what did the International Coalition say about the coming fighting?",
    "where is Baaj?",
]
LLM_ANSWER = "The Popular Mobilization Units hold Qairawan, the statement says [1]."
FIRST_READER = 20_000
FLOODED_GROUP, FLOODER, MEMBER = -30_000, 30_001, 30_002


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Flood:
    """One member of a group floods it with `mentions` questions and `presses` button presses
    (on the answer to their first question); right after, another member asks one."""

    mentions: int = 60
    presses: int = 40
    member_asked: float = 0.0
    question: dict[str, Any] | None = None

    def start(self, fake: FakeBotAPI) -> None:
        first = fake.push_mention(QUESTIONS[0], chat_id=FLOODED_GROUP, user_id=FLOODER)
        fake.wait_for(lambda: bool(fake.replies_to(first)), timeout=120)
        answer = as_held(fake.replies_to(first)[0])
        keys = button_data(answer)
        for n in range(self.mentions - 1):
            fake.push_mention(f"{QUESTIONS[0]} ({n})", chat_id=FLOODED_GROUP, user_id=FLOODER)
        for n in range(self.presses):
            fake.push_callback(keys[n % len(keys)], answer, user_id=FLOODER)
        self.member_asked = time.monotonic()
        self.question = fake.push_mention(QUESTIONS[1], chat_id=FLOODED_GROUP, user_id=MEMBER)

    def member_seconds(self, fake: FakeBotAPI) -> float | None:
        """How long the other member waited for the answer (None: not answered yet)."""
        replies = fake.replies_to(self.question) if self.question else []
        return float(replies[0]["_received"]) - self.member_asked if replies else None

    def report(self, fake: FakeBotAPI) -> str:
        waited = self.member_seconds(fake)
        member = f"{waited:.2f} s" if waited is not None else "not answered"
        posted = len(fake.delivered(FLOODED_GROUP))
        refused = len(fake.group_refused)
        return (
            f"  the other member of the flooded group: answered in {member}; the group got "
            f"{posted} messages, {refused} refused by Telegram's 20 a minute"
        )


@dataclass
class Result:
    name: str
    readers: int
    delivered: int
    asked: int
    latencies: list[float]
    seconds: float
    note: str = ""

    def line(self) -> str:
        ordered = sorted(self.latencies) or [float("nan")]
        p50 = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        rate = self.delivered / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<30} {self.readers:>3} readers  "
            f"{self.delivered:>3}/{self.asked:<3} delivered  "
            f"p50 {p50:6.2f} s  p95 {p95:6.2f} s  {rate:6.2f} answers/s  ({self.seconds:.0f} s)"
        ) + (f"\n{self.note}" if self.note else "")

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
    name: str,
    parts: BotServices,
    home: Path,
    readers: int,
    questions: int,
    flood: Flood | None = None,
    **settings: Any,
) -> Result:
    """Each reader asks `questions` in turn (with `flood` going on in a group meanwhile);
    returns what was delivered and how fast."""
    runner = BotRunner()
    fake = runner.start(lambda **values: make_settings(home, **values, **settings), parts)
    chats = range(FIRST_READER, FIRST_READER + readers)
    asked_at: dict[int, list[float]] = {chat: [] for chat in chats}
    limit = settings.pop("limit", None)
    if flood is not None:
        flood.start(fake)
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
            waiting = waiting or (flood is not None and flood.member_seconds(fake) is None)
            if not waiting:
                break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        latencies = [
            float(answer["_received"]) - asked_at[chat][i]
            for chat in chats
            for i, answer in enumerate(answers(fake, chat)[:questions])
        ]
        note = flood.report(fake) if flood is not None else ""
    finally:
        runner.stop_all()
    return Result(name, readers, len(latencies), readers * questions, latencies, seconds, note)


def flood_plan(home: Path, parts: BotServices, readers: int) -> list[tuple[str, Any, int, Any]]:
    """The readers while one member of a group asks once, then while they flood it; the rate
    limit on (its default) in both, each over a database of its own, as the readers ask in
    both."""
    return [
        (name, parts, readers, {
            "NEWSDESK_RATE_LIMIT_PER_MINUTE": 10,
            "NEWSDESK_DATABASE_URL": f"sqlite:///{home / f'state-{n}.sqlite'}",
            "flood": flood,
        })
        for n, (name, flood) in enumerate(
            [("extractive, the group calm (baseline)", Flood(mentions=1, presses=0)),
             ("extractive, the group flooded", Flood())]
        )
    ]  # fmt: skip


def seed(home: Path, embeddings: SentenceTransformerEmbeddings) -> ArticleStore:
    store = open_store("newsdesk-articles", path=home / "chroma")
    index_articles(load_paths([SAMPLE_DIR]), store, embeddings)
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
    parser.add_argument(
        "--flood",
        action="store_true",
        help="measure a flood in a group against the same readers without it, instead",
    )
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
        plan = (
            flood_plan(home, extractive, readers)
            if args.flood
            else [
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
        )
        for name, parts, count, extra in plan:
            say(f"running: {name} ({count} readers x {questions} questions)")
            options = {**common, **extra, "limit": args.limit}
            result = run(name, parts, home, count, questions, **options)
            say(result.line())
            results.append(result)
    print(f"{questions} questions a reader, limit {args.limit:.0f} s a configuration")
    for result in results:
        print(result.line())
    if args.flood:
        return 0
    baseline, concurrent_llm = results[0], results[3]
    ratio = concurrent_llm.p95 / baseline.p95 if baseline.p95 else float("inf")
    met = ratio <= 3 and concurrent_llm.delivered == concurrent_llm.asked
    verdict = "met" if met else "NOT met"
    print(f"goal p95 <= 3x one reader's p95 with the fake LLM: {ratio:.2f}x, {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
