"""`newsdesk eval`: index a bench into a store of its own and ask every question through the
same AnswerService the bot uses; optionally measure the textbook pipeline in the same run."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.metrics import first_hit_rank, hit_rate, mean_reciprocal_rank, percentile
from bot.service import build_service
from bot.settings import Settings
from index.articles import Article, LoadProblem, normalize_date
from index.embeddings import SentenceTransformerEmbeddings, bundled_model_path
from index.keyword import KeywordIndex
from index.loaders import load_paths
from index.pipeline import IndexSummary, index_articles
from index.store import open_store

RETRIEVE_K = 10
Say = Callable[[str], None]


class BenchError(Exception):
    """The bench folder is missing or malformed; the message names the file."""


@dataclass
class Question:
    id: str
    question: str
    answer: str
    answer_in_corpus: bool
    asked: date | None = None  # the bench's question date: answers are "as of" that day


@dataclass
class RetrievalFigures:
    hit_at_1: float
    hit_at_4: float
    hit_at_10: float
    mrr_at_10: float
    latency_p50_ms: float
    latency_p95_ms: float
    # Mean length of the top 4 passages: a longer passage holds the answer string more often,
    # so Hit@k figures compare fairly only next to this.
    passage_chars: float = 0.0


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
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_questions(bench: Path, limit: int | None) -> list[Question]:
    path = bench / "questions.jsonl"
    if not path.exists():
        raise BenchError(
            f"{path} not found: a bench folder has articles.jsonl.gz and questions.jsonl"
        )
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                Question(
                    id=str(raw.get("id", number)),
                    question=str(raw["question"]),
                    answer=str(raw["answer"]),
                    answer_in_corpus=bool(raw.get("answer_in_corpus", True)),
                    asked=_as_date(raw.get("date")),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BenchError(f"{path}:{number}: not a question record ({error})") from error
    return questions[:limit] if limit else questions


def _as_date(raw: object) -> date | None:
    try:
        return date.fromisoformat(normalize_date(raw))
    except ValueError:
        return None


def read_articles(bench: Path) -> list[Article]:
    path = bench / "articles.jsonl.gz"
    if not path.exists():
        raise BenchError(
            f"{path} not found: a bench folder has articles.jsonl.gz and questions.jsonl"
        )
    loaded = list(load_paths([path]))
    problems = [item for item in loaded if isinstance(item, LoadProblem)]
    if problems:
        raise BenchError(f"{len(problems)} unreadable articles, first: {problems[0]}")
    return [item for item in loaded if isinstance(item, Article)]


def _figures(
    ranks: list[int | None], latencies: list[float], lengths: list[int]
) -> RetrievalFigures:
    return RetrievalFigures(
        hit_at_1=hit_rate(ranks, 1),
        hit_at_4=hit_rate(ranks, 4),
        hit_at_10=hit_rate(ranks, 10),
        mrr_at_10=mean_reciprocal_rank(ranks, 10),
        latency_p50_ms=percentile(latencies, 50) * 1000,
        latency_p95_ms=percentile(latencies, 95) * 1000,
        passage_chars=sum(lengths) / len(lengths) if lengths else 0.0,
    )


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
    """Measure newsdesk (and, with baseline, the textbook pipeline) on a bench folder."""
    questions = read_questions(bench, limit)
    articles = read_articles(bench)
    work = store_dir or Path(tempfile.mkdtemp(prefix="newsdesk-eval-"))
    say(f"indexing {len(articles):,} articles into {work} (a store of its own)")
    store = open_store("eval-bench", path=work / "chroma")
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
    service = build_service(own, store=store, keyword=keyword, embeddings=embeddings)
    service.retriever.k = max(RETRIEVE_K, settings.top_k)
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
        newsdesk=_figures(ranks, latencies, lengths),
        answer_accuracy=correct / len(ranks) if ranks else 0.0,
        citation_precision=cited_right / cited if cited else 0.0,
        refusal_rate=refused / len(questions) if questions else 0.0,
        chunks=store.count(),
    )
    if baseline:
        report.baseline, report.baseline_chunks = run_baseline(articles, questions, work, say)
    return report


def build_textbook_store(articles: list[Article], work: Path, say: Say) -> tuple[Any, int, float]:
    """The textbook LangChain indexing: RecursiveCharacterTextSplitter 1000/200,
    all-MiniLM-L6-v2 through HuggingFaceEmbeddings, Chroma.from_documents. Returns the
    LangChain Chroma store, its chunk count and the seconds from_documents took."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # from_documents adds to an existing collection: start from an empty folder every run.
    shutil.rmtree(work / "textbook", ignore_errors=True)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = splitter.split_documents(
        [Document(page_content=a.text, metadata={"title": a.title}) for a in articles]
    )
    say(f"textbook baseline: embedding {len(documents):,} chunks")
    embedding = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
    started = time.perf_counter()
    store = Chroma.from_documents(
        documents,
        embedding,
        collection_name="textbook",
        persist_directory=str(work / "textbook"),
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    seconds = time.perf_counter() - started
    say(f"  indexed in {seconds:.0f} s")
    return store, len(documents), seconds


def run_baseline(
    articles: list[Article], questions: list[Question], work: Path, say: Say
) -> tuple[RetrievalFigures, int]:
    """The textbook pipeline's retrieval: `similarity_search` over `build_textbook_store`."""
    store, count, _ = build_textbook_store(articles, work, say)
    ranks: list[int | None] = []
    latencies: list[float] = []
    lengths: list[int] = []
    for q in questions:
        started = time.perf_counter()
        found = store.similarity_search(q.question, k=RETRIEVE_K)
        latencies.append(time.perf_counter() - started)
        lengths.extend(len(d.page_content) for d in found[:4])
        if q.answer_in_corpus:
            ranks.append(first_hit_rank(q.answer, [d.page_content for d in found]))
    return _figures(ranks, latencies, lengths), count


def format_report(report: EvalReport) -> str:
    """The figures as a table, with the textbook baseline beside ours when it was measured."""
    ours, base = report.newsdesk, report.baseline
    lines = [
        f"bench {report.bench}: {report.articles:,} articles, {report.questions} questions "
        f"({report.answerable} with the answer in the corpus)",
        f"chunks: newsdesk {report.chunks:,}"
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
