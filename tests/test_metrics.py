import pytest

from bot.evaluation.metrics import first_hit_rank, hit_rate, mean_reciprocal_rank, percentile


def test_first_hit_rank_is_case_insensitive_and_one_based() -> None:
    passages = ["nothing here", "The BUFFALO Bills won", "buffalo bills again"]
    assert first_hit_rank("Buffalo Bills", passages) == 2
    assert first_hit_rank("Bengals", passages) is None
    assert first_hit_rank("x", []) is None


def test_hit_rate_and_mrr_on_known_ranks() -> None:
    ranks = [1, 3, None, 10, 2]
    assert hit_rate(ranks, 1) == pytest.approx(1 / 5)
    assert hit_rate(ranks, 4) == pytest.approx(3 / 5)
    assert hit_rate(ranks, 10) == pytest.approx(4 / 5)
    assert mean_reciprocal_rank(ranks, 10) == pytest.approx((1 + 1 / 3 + 1 / 10 + 1 / 2) / 5)
    assert mean_reciprocal_rank(ranks, 2) == pytest.approx((1 + 1 / 2) / 5)
    assert hit_rate([], 4) == 0.0 and mean_reciprocal_rank([], 10) == 0.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([7.0, 1.0, 3.0], 50) == 3.0
    assert percentile([], 50) == 0.0
