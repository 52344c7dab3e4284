"""Retrieval and answer metrics for `newsdesk eval`, as plain functions over plain data."""

from __future__ import annotations

import math
from collections.abc import Sequence


def first_hit_rank(answer: str, passages: Sequence[str]) -> int | None:
    """The 1-based rank of the first passage containing the answer string (case-insensitive)."""
    needle = answer.lower()
    return next((rank for rank, text in enumerate(passages, 1) if needle in text.lower()), None)


def hit_rate(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose answer is in the top k passages."""
    if not ranks:
        return 0.0
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None], k: int) -> float:
    """MRR@k: mean of 1/rank of the first hit, 0 when it is not in the top k."""
    if not ranks:
        return 0.0
    return sum(1 / rank for rank in ranks if rank is not None and rank <= k) / len(ranks)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): a value that was really observed."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
