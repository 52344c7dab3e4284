"""The bot's Prometheus metrics, all in one place, in a registry of their own (not
prometheus_client's global one): each application built gets its own `Telemetry`, so tests and
several bots in one process never share or collide on a metric.

What is counted as it happens: questions, refusals and errors by kind, and the answer latency
(at the conversation turn, the one every front end asks through); Telegram requests retried
(`bot.telegram.network`); indexing runs, their articles and chunks (`bot.telegram.indexing`).
What is read at scrape time, cheaply: the index size (the store's count) and the job queue's
depth. `bot.telegram.monitoring` serves them on NEWSDESK_METRICS_PORT."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from bot.answering.answers import Answer
    from index.pipeline import IndexSummary

log = logging.getLogger(__name__)

# Seconds: an extractive answer takes a fraction of one, an LLM's several, a slow one a minute.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
# Why a question was refused: nothing is indexed at all; nothing relevant enough was found (or
# the LLM said the passages don't answer it); or none of the LLM's sentences held up.
EMPTY_INDEX, NOT_COVERED, UNSUPPORTED = "empty_index", "not_covered", "unsupported"
# Offline, a question in another language no name of which the articles hold: the reader is
# told an LLM adds other languages (bot/answering/language_offline.py).
OTHER_LANGUAGE = "other_language"
ERROR_KINDS = ("question", "llm", "database", "store", "internal")
RUN_OUTCOMES = ("done", "interrupted", "failed")
ARTICLE_CHANGES = ("new", "changed", "unchanged", "removed")
CHUNK_CHANGES = ("added", "removed", "repaired")


def error_kind(error: BaseException) -> str:
    """A few kinds an operator tells apart, not a label per exception class."""
    from bot.answering.chain import QuestionError  # imported when an error happens, not before
    from bot.answering.llm import LLMConfigError
    from bot.answering.llm_errors import LLMError
    from bot.state.database import DatabaseError
    from index.store import StoreError

    kinds: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        (QuestionError, "question"),
        ((LLMError, LLMConfigError), "llm"),
        (DatabaseError, "database"),
        (StoreError, "store"),
    )
    for classes, kind in kinds:
        if isinstance(error, classes):
            return kind
    return "internal"


def refusal_reason(answer: Answer) -> str:
    from bot.answering.language_offline import OFFLINE_REPLY
    from bot.answering.service import EMPTY_INDEX as SAID_OF_AN_EMPTY_INDEX

    if answer.unsupported:
        return UNSUPPORTED
    if answer.answer in OFFLINE_REPLY.values():
        return OTHER_LANGUAGE
    return EMPTY_INDEX if answer.answer == SAID_OF_AN_EMPTY_INDEX else NOT_COVERED


@dataclass
class Gauges:
    """What is read at scrape time; each returns a number, or raises (the metric is then left
    out of that scrape, and the error logged)."""

    index_chunks: Callable[[], int] | None = None
    # job status -> how many jobs have it (queued and running)
    jobs: Callable[[], Mapping[str, int]] | None = None


class ScrapeTimeCollector:
    """The gauges computed when Prometheus asks, not kept up to date in between."""

    def __init__(self, gauges: Gauges) -> None:
        self.gauges = gauges

    def describe(self) -> list[Metric]:
        # Given, so registering doesn't call collect() (that would read the store at start-up).
        return [
            GaugeMetricFamily("newsdesk_index_chunks", "Chunks in the vector store."),
            GaugeMetricFamily(
                "newsdesk_job_queue_depth", "Indexing jobs by status.", labels=["status"]
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        gauges = self.gauges
        if gauges.index_chunks is not None and (count := _read(gauges.index_chunks)) is not None:
            yield GaugeMetricFamily(
                "newsdesk_index_chunks", "Chunks in the vector store.", value=count
            )
        if gauges.jobs is not None and (statuses := _read(gauges.jobs)) is not None:
            depth = GaugeMetricFamily(
                "newsdesk_job_queue_depth", "Indexing jobs by status.", labels=["status"]
            )
            for status, jobs in sorted(statuses.items()):
                depth.add_metric([status], jobs)
            yield depth


T = TypeVar("T")


def _read(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception as error:  # a scrape reports what it can; the log says what failed
        log.warning("metrics: could not read a gauge (%s)", type(error).__name__)
        return None


class Telemetry:
    """The metrics of one application, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.gauges = Gauges()
        registry = self.registry
        self.questions = Counter(
            "newsdesk_questions", "Questions asked, whatever came of them.", registry=registry
        )
        self.refusals = Counter(
            "newsdesk_refusals",
            "Questions refused, by reason: empty_index (nothing indexed), not_covered (nothing "
            "relevant enough, or the LLM said the passages don't answer it), unsupported (no "
            "sentence of the LLM's held up), other_language (asked offline in another language "
            "than English, with no name the articles hold).",
            ["reason"],
            registry=registry,
        )
        self.errors = Counter(
            "newsdesk_question_errors",
            "Questions that ended in an error, by kind: question, llm, database, store, internal.",
            ["kind"],
            registry=registry,
        )
        self.latency = Histogram(
            "newsdesk_answer_latency_seconds",
            "Time to answer (or refuse) a question, from memory recalled to answer recorded.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.telegram_retries = Counter(
            "newsdesk_telegram_retries",
            "Telegram requests that failed in a way worth another try, by method and reason: "
            "retry_after (429 flood control), unavailable (5xx or a lost connection), "
            "timed_out. Each is tried again until its tries are spent.",
            ["method", "reason"],
            registry=registry,
        )
        self.indexing_runs = Counter(
            "newsdesk_indexing_runs",
            "Indexing runs by outcome: done, interrupted (shutting down), failed.",
            ["outcome"],
            registry=registry,
        )
        self.indexed_articles = Counter(
            "newsdesk_indexed_articles",
            "Articles seen by indexing runs, by change: new, changed, unchanged, removed.",
            ["change"],
            registry=registry,
        )
        self.indexed_chunks = Counter(
            "newsdesk_indexed_chunks",
            "Chunks written or removed by indexing runs, by change: added, removed, repaired.",
            ["change"],
            registry=registry,
        )
        registry.register(ScrapeTimeCollector(self.gauges))
        self._start_at_zero()

    def _start_at_zero(self) -> None:
        """Every known label value shown from the start, at 0: rate() and alerts then see the
        first refusal or error as an increase, not as a series appearing."""
        labelled = (
            (self.refusals, (EMPTY_INDEX, NOT_COVERED, UNSUPPORTED, OTHER_LANGUAGE)),
            (self.errors, ERROR_KINDS),
            (self.indexing_runs, RUN_OUTCOMES),
            (self.indexed_articles, ARTICLE_CHANGES),
            (self.indexed_chunks, CHUNK_CHANGES),
        )
        for counter, values in labelled:
            for value in values:
                counter.labels(value)

    def answered(self, answer: Answer, latency_seconds: float) -> None:
        """A question answered or refused at the conversation turn."""
        self.questions.inc()
        self.latency.observe(latency_seconds)
        if answer.refused:
            self.refusals.labels(refusal_reason(answer)).inc()

    def failed(self, error: BaseException) -> None:
        """A question whose turn ended in `error`."""
        self.questions.inc()
        self.errors.labels(error_kind(error)).inc()

    def telegram_retry(self, method: str, reason: str) -> None:
        self.telegram_retries.labels(method, reason).inc()

    def indexing_run(self, summary: IndexSummary) -> None:
        self.indexing_runs.labels("interrupted" if summary.interrupted else "done").inc()
        articles = {
            "new": summary.articles_new,
            "changed": summary.articles_changed,
            "unchanged": summary.articles_unchanged,
            "removed": summary.articles_removed,
        }
        chunks = {
            "added": summary.chunks_added,
            "removed": summary.chunks_removed,
            "repaired": summary.chunks_repaired,
        }
        for change, count in articles.items():
            self.indexed_articles.labels(change).inc(count)
        for change, count in chunks.items():
            self.indexed_chunks.labels(change).inc(count)

    def indexing_failed(self) -> None:
        self.indexing_runs.labels("failed").inc()

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric, the gauges read now."""
        return generate_latest(self.registry)
