"""The figures `newsdesk eval` reports, for newsdesk and for the textbook baseline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.evaluation.metrics import hit_rate, mean_reciprocal_rank, percentile

Say = Callable[[str], None]


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


def figures(
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
