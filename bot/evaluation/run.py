"""`newsdesk eval`: index a bench into a store of its own and ask every question through the
same answering path the bot uses; optionally measure the textbook pipeline in the same run."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.evaluation.answering import AnswerFigures, ask_all
from bot.evaluation.baseline import RETRIEVE_K, run_baseline
from bot.evaluation.bench import Question, read_articles, read_questions
from bot.evaluation.figures import RetrievalFigures, Say, figures
from bot.settings import Settings
from bot.wiring.answering import build_answering
from index.articles import Article
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import IndexSummary, index_articles

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

# --llm: the model's provider:model, and the model
LLMUnderTest = tuple[str, "BaseChatModel"]


@dataclass
class EvalReport:
    bench: str
    articles: int
    questions: int
    answerable: int
    newsdesk: RetrievalFigures
    answer_accuracy: float  # the gold answer in the whole answer (short answer and sentences)
    citation_precision: float
    refusal_rate: float
    baseline: RetrievalFigures | None = None
    baseline_chunks: int = 0
    chunks: int = 0
    embeddings: str = ""  # model/backend
    # The extractive default, and with --llm the LLM, over the same store in the same run.
    answerers: list[AnswerFigures] = field(default_factory=list)
    short_answer_accuracy: float = 0.0  # the gold answer in the short answer
    short_answer_precision: float = 0.0  # ... of the short answers given
    median_answer_words: float = 0.0

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
    llm: LLMUnderTest | None = None,
    answers: Path | None = None,
    say: Say = lambda line: print(line, file=sys.stderr),
) -> EvalReport:
    """Measure newsdesk (and, with baseline, the textbook pipeline) on a bench folder.

    Every article is indexed even with `limit`: a question is retrieved for among the whole
    corpus, so indexing only the articles that answer the first N questions would make
    retrieval easy and the figures meaningless. Without `store_dir` the store is a temporary
    folder, removed at the end however the run ends (an error, Ctrl-C); with it, the store is
    kept, and a second run over the same bench embeds nothing. With `answers`, the extractive
    default's answer to each question is written there, one JSON line each (`ask_all`)."""
    questions = read_questions(bench, limit)
    articles = read_articles(bench)
    if store_dir is not None:
        return _measure(
            bench, articles, questions, settings, embeddings, store_dir, baseline, llm, answers, say
        )
    work = Path(tempfile.mkdtemp(prefix="newsdesk-eval-"))
    try:
        return _measure(
            bench, articles, questions, settings, embeddings, work, baseline, llm, answers, say
        )
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
    llm: LLMUnderTest | None,
    answers: Path | None,
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

    summary = index_articles(articles, store, embeddings, progress, keyword.sync)
    say(f"  {summary.describe()} in {time.perf_counter() - started:.0f} s")

    # The user's own home (its published prompts) plays no part; the extractive default is
    # measured as it is, whatever NEWSDESK_LLM says.
    own = settings.model_copy(update={"home": work / "home", "llm": None})
    answering = build_answering(
        own, store=store, keyword=keyword, embeddings=embeddings, retrieve_k=RETRIEVE_K
    )
    if answers is None:
        asked = ask_all(answering.service, questions, "extractive", say)
    else:
        with answers.open("w", encoding="utf-8") as out:
            asked = ask_all(answering.service, questions, "extractive", say, out)
    report = EvalReport(
        bench=str(bench),
        articles=len(articles),
        questions=len(questions),
        answerable=len(asked.ranks),
        newsdesk=figures(asked.ranks, asked.latencies, asked.lengths),
        answer_accuracy=asked.figures.answer_accuracy,
        citation_precision=asked.figures.citation_precision,
        refusal_rate=asked.figures.refusal_rate,
        chunks=store.count(),
        embeddings=embeddings.identity,
        answerers=[asked.figures],
        short_answer_accuracy=asked.figures.short_answer_accuracy,
        short_answer_precision=asked.figures.short_answer_precision,
        median_answer_words=asked.figures.median_answer_words,
    )
    if llm is not None:
        spec, chat_model = llm
        with_llm = build_answering(
            own,
            store=store,
            keyword=keyword,
            embeddings=embeddings,
            chat_model=chat_model,
            retrieve_k=RETRIEVE_K,
        )
        report.answerers.append(ask_all(with_llm.service, questions, spec, say).figures)
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
        ("short-answer accuracy", report.short_answer_accuracy, None, ".3f"),
        ("short answers right, given", report.short_answer_precision, None, ".3f"),
        ("median answer, words", report.median_answer_words, None, ".0f"),
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
    if len(report.answerers) > 1:
        lines += ["", *format_answerers(report.answerers)]
    return "\n".join(lines)


def format_answerers(answerers: list[AnswerFigures]) -> list[str]:
    """The answer figures of each answerer side by side (the extractive default first)."""
    names = [a.answerer[:24] for a in answerers]
    lines = [f"{'answers':<28}" + "".join(f"{name:>26}" for name in names)]
    rows: list[tuple[str, str, str]] = [
        ("answer accuracy", "answer_accuracy", ".3f"),
        ("short-answer accuracy", "short_answer_accuracy", ".3f"),
        ("short answers right, given", "short_answer_precision", ".3f"),
        ("median answer, words", "median_answer_words", ".0f"),
        ("supported-sentence share", "supported_share", ".3f"),
        ("citation precision", "citation_precision", ".3f"),
        ("refusal rate (all questions)", "refusal_rate", ".3f"),
        ("seconds per question", "seconds_per_question", ".2f"),
        ("provider failures", "errors", "d"),
    ]
    for label, attribute, spec in rows:
        values = "".join(f"{getattr(a, attribute):>26{spec}}" for a in answerers)
        lines.append(f"{label:<28}{values}")
    return lines
