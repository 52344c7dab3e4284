"""Scale: how adding articles, answering and starting up grow with the store (issue 14).

    nice -n 19 .venv/bin/python -m bench.scale [--bench DIR] [--sizes 25000,100000,250000,1000000]
        [--work DIR] [--again] [--questions 50] [--profile]

It grows one store, the bot's own (Settings.home = --work: embedded Chroma through
`open_store`, the keyword index through `open_keyword_index`), to each size in turn with
synthetic chunks made from the bench's real articles (bench/scale_data.py), and at each size
prints one row:

- growth: the time to write the chunks that reached this size, in batches of GROW_BATCH,
  each as an indexing run writes (mark the keyword index pending, `ArticleStore.add`, which
  upserts WRITE_BATCH at a time, then `KeywordSync.apply`);
- add 10: `index_articles` on 10 new synthetic articles, end to end as a feed poll runs it
  (the manifest read, chunking, "embedding", the store write, the keyword update);
- retrieval p50/p95: `service.retriever.invoke(question)` of the service `build_answering` makes;
- answer p50/p95: `service.answer(question)`, the whole extractive path (clean, spelling,
  retrieval, refusal gate, extractive answerer);
- peak RSS of this process so far (resource.getrusage), and of the bot's start-up process;
- start-up: `python -m bot ask QUESTION` in a fresh process on the grown home, timed end to
  end (interpreter, imports, model load, keyword sync, the first answer);
- disk: the Chroma folder and the keyword index folder (allocated bytes).

What is real and what is not. Every stored vector is random (`RandomEmbeddings`, unit vectors
seeded by the text): scale is measured without the model's indexing cost, and the store's
vector search costs what it would over real vectors of the same size. The text, metadata and
ids are real-shaped (real articles under fresh keys), so the keyword index, Chroma's SQLite
and the manifest grow as they would. The questions (the first --questions of the bench's)
are embedded by the real bundled model, as the bot does, and so is every sentence the
extractive answerer scores: the latencies are the bot's, model included, each question
embedded afresh (a new query cache per size and per pass). Because the stored vectors are
random, the refusal floor would refuse nearly every question, and a refusal skips the
answerer; so the floor is set to -1 (NEWSDESK_MIN_RELEVANCE=-1, also for the start-up
process) and every question is answered: the answer figures are those of an answered
question, the slower kind. The passages found are not the right ones; quality is measured by
`newsdesk eval`, not here. The store keeps growing across sizes, so each row is the store at
that size; --work keeps it, and a later run on the same --work continues from its size.

Goals at 250,000 chunks: add 10 articles ≤ 10 s, query p50 ≤ 60 ms (the answer, which is
what a reader waits for; retrieval alone is shown beside it), start-up ≤ 15 s. Each row says
whether that size meets them. The rows go to --work/scale-rows.json and the curves to
bench/scale.png (bench/scale_plot.py).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scale_data import RandomEmbeddings, Synthesizer
from bench.scale_plot import GOAL_ADD_SECONDS, GOAL_P50_MS, GOAL_STARTUP_SECONDS, plot
from bot.evaluation.bench import read_articles, read_questions
from bot.evaluation.metrics import percentile
from bot.settings import PROJECT_DIR, Settings
from bot.wiring.bot import build_bot
from bot.wiring.stores import configured_embeddings, open_article_store, open_keyword_index
from index.chunking import Chunk
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore

DEFAULT_SIZES = (25_000, 100_000, 250_000, 1_000_000)
GOAL_SIZE = 250_000
GROW_BATCH = 10_000  # chunks per store write and keyword commit while growing
SEED = 14
ROWS_FILE = "scale-rows.json"
STATE_FILE = "scale-state.json"
HEADER = (
    f"{'chunks':>9} {'growth s':>9} {'chunk/s':>7} {'add10 s':>13} {'retr p50/p95 ms':>15} "
    f"{'answer p50/p95 ms':>22} {'RSS MiB':>7} {'bot MiB':>7} {'start-up s':>14} "
    f"{'chroma MiB':>10} {'kw MiB':>7}"
)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def verdict(value: float, goal: float) -> str:
    return "met" if value <= goal else "NOT met"


def disk_mib(folder: Path) -> float:
    """Allocated bytes under `folder`, as du counts them, in MiB."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(Path(root) / name).st_blocks * 512
            except OSError:  # a file removed while walking (e.g. a tantivy merge)
                continue
    return total / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Grower:
    """Writes synthetic articles into the store and keyword index, numbered on from where an
    earlier run on the same home stopped."""

    def __init__(
        self,
        home: Path,
        store: ArticleStore,
        keyword: KeywordIndex,
        synth: Synthesizer,
        fake: RandomEmbeddings,
    ) -> None:
        self.state_file = home / STATE_FILE
        self.store, self.keyword, self.synth, self.fake = store, keyword, synth, fake
        saved = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        self.next = int(saved.get("next", 0))

    def take(self) -> int:
        number, self.next = self.next, self.next + 1
        self.state_file.write_text(json.dumps({"next": self.next}))
        return number

    def write(self, batch: list[Chunk]) -> None:
        """One batch as an indexing run writes it (index/pipeline.py): the keyword index
        marked pending, the chunks stored with their vectors, then the keyword update."""
        self.keyword.sync.begin_changes(self.store)
        vectors = self.fake.embed_documents([chunk.embedding_text for chunk in batch])
        self.store.add(batch, vectors)
        self.keyword.sync.apply(batch, [])

    def grow(self, target: int) -> tuple[int, float]:
        """Chunks written and seconds taken to bring the store to `target` chunks."""
        have = self.store.count()
        started, written = time.perf_counter(), 0
        batch: list[Chunk] = []
        while have + written + len(batch) < target:
            batch.extend(self.synth.chunks_of(self.take()))
            if len(batch) >= GROW_BATCH or have + written + len(batch) >= target:
                self.write(batch)
                written += len(batch)
                batch = []
                rate = written / (time.perf_counter() - started)
                say(f"  grew to {have + written:,} chunks ({rate:,.0f} chunks/s)")
        return written, time.perf_counter() - started

    def add_articles(self, count: int) -> float:
        """Seconds for `index_articles` to add `count` new articles, as a feed poll does."""
        articles = [self.synth.article(self.take()) for _ in range(count)]
        summary = None

        def run() -> None:
            nonlocal summary
            summary = index_articles(articles, self.store, self.fake, keyword=self.keyword.sync)

        seconds = timed(run)
        assert summary is not None and summary.articles_new == count, summary
        return seconds


def fresh(real: SentenceTransformerEmbeddings) -> SentenceTransformerEmbeddings:
    """The same loaded model with an empty query cache, so each question is embedded."""
    return SentenceTransformerEmbeddings(real.model, real.name, backend=real.backend)


def latencies(action: Callable[[str], Any], questions: list[str]) -> list[float]:
    action(questions[-1])  # warm-up, not counted (the last question is not among the timed)
    found = []
    for question in questions[:-1]:
        started = time.perf_counter()
        action(question)
        found.append((time.perf_counter() - started) * 1000)
    return found


# Runs the bot and reports its time and peak RSS. The bot is started from this small process,
# not from the bench: Linux carries a process's peak RSS across fork and exec, so a child of
# the bench would report at least the bench's own peak.
_TIME_BOT = """import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], check=False).returncode
seconds = time.perf_counter() - started
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "rss_mib": kib / 1024}), file=sys.stderr)
sys.exit(code)
"""


def startup(home: Path, question: str) -> tuple[float, float]:
    """Seconds for a fresh `python -m bot ask` on `home` to print its answer, and its peak
    RSS in MiB."""
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(home),
        "NEWSDESK_MIN_RELEVANCE": "-1",
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", _TIME_BOT, sys.executable, "-m", "bot", "ask", question],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"`python -m bot ask` failed ({done.returncode}):\n{done.stderr}")
    timing = json.loads(done.stderr.strip().splitlines()[-1])
    return float(timing["seconds"]), float(timing["rss_mib"])


def measure(
    args: argparse.Namespace,
    settings: Settings,
    grower: Grower,
    real: SentenceTransformerEmbeddings,
    questions: list[str],
    size: int,
) -> dict[str, Any]:
    written, growth = grower.grow(size)
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    add = grower.add_articles(10)
    if profile:
        profile.disable()
        profile.dump_stats(str(args.work / f"add10-{size}.prof"))
    store, keyword = grower.store, grower.keyword
    retriever = build_bot(settings, store=store, keyword=keyword, embeddings=fresh(real))
    retrieval = latencies(retriever.service.retriever.invoke, questions)
    answerer = build_bot(settings, store=store, keyword=keyword, embeddings=fresh(real))
    answers = latencies(answerer.service.answer, questions)
    started, bot_rss = startup(settings.home, questions[0])
    return {
        "chunks": store.count(),
        "grown": written,
        "growth_s": growth,
        "add10_s": add,
        "retrieval_p50_ms": percentile(retrieval, 50),
        "retrieval_p95_ms": percentile(retrieval, 95),
        "answer_p50_ms": percentile(answers, 50),
        "answer_p95_ms": percentile(answers, 95),
        "rss_mib": peak_rss_mib(),
        "bot_rss_mib": bot_rss,
        "startup_s": started,
        "chroma_mib": disk_mib(settings.chroma_dir),
        "keyword_mib": disk_mib(keyword.folder.path),
    }


def format_row(row: dict[str, Any]) -> str:
    rate = row["grown"] / row["growth_s"] if row["growth_s"] else 0.0
    add = f"{row['add10_s']:.2f} {'ok' if row['add10_s'] <= GOAL_ADD_SECONDS else 'MISS'}"
    answer = f"{row['answer_p50_ms']:.0f}/{row['answer_p95_ms']:.0f}"
    answer += f" {'ok' if row['answer_p50_ms'] <= GOAL_P50_MS else 'MISS'}"
    start = f"{row['startup_s']:.1f} {'ok' if row['startup_s'] <= GOAL_STARTUP_SECONDS else 'MISS'}"
    return (
        f"{row['chunks']:>9,} {row['growth_s']:>9.1f} {rate:>7,.0f} {add:>13} "
        f"{row['retrieval_p50_ms']:>7.0f}/{row['retrieval_p95_ms']:<7.0f} {answer:>22} "
        f"{row['rss_mib']:>7,.0f} {row['bot_rss_mib']:>7,.0f} {start:>14} "
        f"{row['chroma_mib']:>10,.0f} {row['keyword_mib']:>7,.0f}"
    )


def goals(row: dict[str, Any]) -> list[str]:
    checks = [
        ("add 10 articles", row["add10_s"], GOAL_ADD_SECONDS, "s"),
        ("query p50 (answer)", row["answer_p50_ms"], GOAL_P50_MS, "ms"),
        ("start-up to first answer", row["startup_s"], GOAL_STARTUP_SECONDS, "s"),
    ]
    return [
        f"  {name} ≤ {goal:g} {unit}: {value:,.1f} {unit}, {verdict(value, goal)}"
        + ("" if value <= goal else f" (by {value - goal:,.1f} {unit}, {value / goal:.1f}x)")
        for name, value, goal, unit in checks
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=PROJECT_DIR.parent / "shared/bench/rtqa-dev")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="chunk counts, ascending, comma-separated",
    )
    parser.add_argument("--work", type=Path, help="the home to grow (kept); default a temp one")
    parser.add_argument("--questions", type=int, default=50, help="questions timed per size")
    parser.add_argument(
        "--again",
        action="store_true",
        help="measure --work once more at its size, without growing (a quieter run's row "
        "replaces the last one)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each add of 10 to --work")
    parser.add_argument("--plot", type=Path, default=PROJECT_DIR / "bench" / "scale.png")
    args = parser.parse_args()
    sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args.work = (args.work or Path(tempfile.mkdtemp(prefix="newsdesk-scale-"))).resolve()
    settings = Settings(home=args.work, min_relevance=-1.0)
    questions = [q.question for q in read_questions(args.bench, args.questions + 1)]

    synth = Synthesizer(read_articles(args.bench))
    synth.check(range(0, 3 * len(synth.articles), 97))
    store, keyword = open_article_store(settings), open_keyword_index(settings)
    real = configured_embeddings(settings, store)
    store.check_embedding(real.identity)  # as build_indexer does
    fake = RandomEmbeddings(SEED, real.name, real.backend)
    grower = Grower(args.work, store, keyword, synth, fake)
    say(
        f"home {args.work}: {store.count():,} chunks; {len(synth.articles):,} real articles, "
        f"{synth.chunks_per_article:.1f} chunks each; {len(questions) - 1} questions"
    )

    rows_file = args.work / ROWS_FILE
    rows: list[dict[str, Any]] = json.loads(rows_file.read_text()) if rows_file.exists() else []
    load = os.getloadavg()[0]
    print(f"nice {os.nice(0)}, load average {load:.1f} at the start: compare within one run")
    print(HEADER, flush=True)
    if args.again:
        sizes, rows = [store.count()], sorted(rows, key=lambda r: r["chunks"])[:-1]
    for size in sizes:
        if store.count() >= size and not args.again:
            say(f"store already holds {store.count():,} chunks: skipping {size:,}")
            continue
        row = measure(args, settings, grower, real, questions, size)
        rows = [r for r in rows if r["chunks"] != row["chunks"]] + [row]
        rows_file.write_text(json.dumps(rows, indent=1))
        print(format_row(row), flush=True)
        if size == GOAL_SIZE or (args.again and abs(size - GOAL_SIZE) < GOAL_SIZE // 100):
            print(f"goals at {size:,} chunks:", *goals(row), sep="\n", flush=True)
        plot(sorted(rows, key=lambda r: r["chunks"]), args.plot, GOAL_SIZE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
