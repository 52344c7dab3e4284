"""`newsdesk eval`: index a bench into a store of its own and ask every question through the
same answering path the bot uses; optionally measure the textbook pipeline in the same run."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.app import build_parts
from bot.evaluation.baseline import RETRIEVE_K, run_baseline
from bot.evaluation.bench import Question, read_articles, read_questions
from bot.evaluation.figures import RetrievalFigures, Say, figures
from bot.evaluation.metrics import first_hit_rank
from bot.settings import Settings
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import IndexSummary, index_articles
from index.store import open_store


@dataclass
class EvalReport:
    bench: str
    articles: int
    questions: int
    answerable: int
    newsdesk: RetrievalFigures
    answer_accuracy: float
    citation_precision: float
    refusal_rate: float
    baseline: RetrievalFigures | None = None
    baseline_chunks: int = 0
    chunks: int = 0
    embeddings: str = ""  # model/backend

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_eval(
    bench: Path,
    settings: Settings,
    embeddings: SentenceTransformerEmbeddings,
    *,
    limit: int | None = None,
    store_dir: Path | None = None,
    baseline: bool = False,
    say: Say = lambda line: print(line, file=sys.stderr),
) -> EvalReport:
    """Measure newsdesk (and, with baseline, the textbook pipeline) on a bench folder.

    Every article is indexed even with `limit`: a question is retrieved for among the whole
    corpus, so indexing only the articles that answer the first N questions would make
    retrieval easy and the figures meaningless. Without `store_dir` the store is a temporary
    folder, removed at the end however the run ends (an error, Ctrl-C); with it, the store is
    kept, and a second run over the same bench embeds nothing."""
    questions = read_questions(bench, limit)
    articles = read_articles(bench)
    if store_dir is not None:
        return _measure(bench, articles, questions, settings, embeddings, store_dir, baseline, say)
    work = Path(tempfile.mkdtemp(prefix="newsdesk-eval-"))
    try:
        return _measure(bench, articles, questions, settings, embeddings, work, baseline, say)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(
    bench: Path,
    articles: list[Article],
    questions: list[Question],
    settings: Settings,
    embeddings: SentenceTransformerEmbeddings,
    work: Path,
    baseline: bool,
    say: Say,
) -> EvalReport:
    say(f"indexing all {len(articles):,} articles into {work} (a store of its own)")
    store = open_store("eval-bench", path=work / "chroma")
    store.check_embedding(embeddings.identity)
    keyword = KeywordIndex(work / "keyword")
    started = time.perf_counter()
    shown = [0]

    def progress(done: IndexSummary) -> None:
        if done.chunks_added - shown[0] >= 2000:
            shown[0] = done.chunks_added
            say(f"  {done.articles_read:,} articles read, {done.chunks_added:,} chunks embedded")

    summary = index_articles(articles, store, embeddings, progress, keyword)
    say(f"  {summary.describe()} in {time.perf_counter() - started:.0f} s")

    # Everything the service writes (prompt history) goes to the eval's folder, not the user's.
    own = settings.model_copy(update={"home": work / "home"})
    parts = build_parts(
        own, store=store, keyword=keyword, embeddings=embeddings, retrieve_k=RETRIEVE_K
    )
    service = parts.service
    ranks: list[int | None] = []
    latencies: list[float] = []
    lengths: list[int] = []
    correct = refused = cited = cited_right = 0
    for number, q in enumerate(questions, start=1):
        started = time.perf_counter()
        answer, documents = service.answer_with_passages(q.question, q.asked)
        latencies.append(time.perf_counter() - started)
        refused += answer.refused
        lengths.extend(len(d.page_content) for d in documents[:4])
        if q.answer_in_corpus:
            ranks.append(first_hit_rank(q.answer, [d.page_content for d in documents]))
            correct += q.answer.lower() in answer.answer.lower()
            by_id = {d.metadata["id"]: d.page_content.lower() for d in documents}
            for citation in answer.citations:
                cited += 1
                cited_right += q.answer.lower() in by_id.get(citation.chunk_id, "")
        if number % 50 == 0:
            say(f"  {number}/{len(questions)} questions asked")
    report = EvalReport(
        bench=str(bench),
        articles=len(articles),
        questions=len(questions),
        answerable=len(ranks),
        newsdesk=figures(ranks, latencies, lengths),
        answer_accuracy=correct / len(ranks) if ranks else 0.0,
        citation_precision=cited_right / cited if cited else 0.0,
        refusal_rate=refused / len(questions) if questions else 0.0,
        chunks=store.count(),
        embeddings=embeddings.identity,
    )
    if baseline:
        report.baseline, report.baseline_chunks = run_baseline(articles, questions, work, say)
    return report


def format_report(report: EvalReport) -> str:
    """The figures as a table, with the textbook baseline beside ours when it was measured."""
    ours, base = report.newsdesk, report.baseline
    lines = [
        f"bench {report.bench}: {report.articles:,} articles, {report.questions} questions "
        f"({report.answerable} with the answer in the corpus)",
        f"embeddings: {report.embeddings}; chunks: newsdesk {report.chunks:,}"
        + (f", textbook {report.baseline_chunks:,}" if base else ""),
        "",
        f"{'measure':<28}{'newsdesk':>10}" + (f"{'textbook':>10}" if base else ""),
    ]
    rows: list[tuple[str, float, float | None, str]] = [
        ("Hit@1", ours.hit_at_1, base.hit_at_1 if base else None, ".3f"),
        ("Hit@4", ours.hit_at_4, base.hit_at_4 if base else None, ".3f"),
        ("Hit@10", ours.hit_at_10, base.hit_at_10 if base else None, ".3f"),
        ("MRR@10", ours.mrr_at_10, base.mrr_at_10 if base else None, ".3f"),
        ("answer accuracy", report.answer_accuracy, None, ".3f"),
        ("citation precision", report.citation_precision, None, ".3f"),
        ("refusal rate (all questions)", report.refusal_rate, None, ".3f"),
        ("latency p50, ms", ours.latency_p50_ms, base.latency_p50_ms if base else None, ".0f"),
        ("latency p95, ms", ours.latency_p95_ms, base.latency_p95_ms if base else None, ".0f"),
        ("passage length, chars", ours.passage_chars, base.passage_chars if base else None, ".0f"),
    ]
    for name, value, other, spec in rows:
        line = f"{name:<28}{value:>10{spec}}"
        if base:
            line += f"{other:>10{spec}}" if other is not None else f"{'-':>10}"
        lines.append(line)
    if base:
        lines.append("(textbook latency is similarity_search alone; ours includes the answer)")
    return "\n".join(lines)
