"""Each retrieval step on its own, on hand-made chunks: fuse, recency, the future left out,
spacing, widening, and the one relevance formula."""

from __future__ import annotations

import math
from datetime import date

import pytest

from bot.answering import retrieval_steps as steps
from bot.answering.relevance import LEXICAL_WEIGHT, cosine, relevance
from index.chunking import Chunk
from index.text import content_words


def chunk(article: str, position: int, published: str = "2023-01-10", version: str = "v1") -> Chunk:
    return Chunk(
        id=f"{article}-{position}-{version}",
        article_key=article,
        article_hash=version,
        position=position,
        text=f"Text {position} of {article}.",
        title=article,
        source="Wire",
        url="",
        published=published,
        origin="test",
    )


def test_fuse_adds_reciprocal_ranks_and_keeps_first_sight_order() -> None:
    fused = steps.fuse([(["a", "b"], 1.0), (["c", "a"], 0.5)])
    assert list(fused) == ["a", "b", "c"]
    assert fused["a"] == pytest.approx(1 / 61 + 0.5 / 62)
    assert fused["c"] == pytest.approx(0.5 / 61)
    assert steps.best_first(fused) == ["a", "b", "c"]


def test_recency_multiplies_and_leaves_undated_chunks_alone() -> None:
    today = date(2023, 1, 20).toordinal()
    published = {"fresh": today, "old": today - 30, "undated": None}
    weighted = steps.weight_recency({"fresh": 1.0, "old": 1.0, "undated": 1.0}, published, today)
    assert weighted["fresh"] == pytest.approx(2.0)
    assert weighted["old"] == pytest.approx(1 + math.exp(-3))
    assert weighted["undated"] == 1.0


def test_the_future_is_left_out_with_a_day_of_slack() -> None:
    as_of = date(2023, 1, 10).toordinal()
    chunks = {"same": chunk("a", 0), "next": chunk("b", 0, "2023-01-11")}
    chunks |= {"later": chunk("c", 0, "2023-01-12"), "undated": chunk("d", 0, "")}
    published = {i: steps.day_number(c.published) for i, c in chunks.items()}
    assert published["undated"] is None
    assert set(steps.drop_future(chunks, published, as_of)) == {"same", "next", "undated"}


def test_space_skips_chunks_inside_a_better_ones_passage() -> None:
    chunks = {c.id: c for c in [chunk("a", 3), chunk("a", 4), chunk("a", 6), chunk("b", 4)]}
    ranked = ["a-3-v1", "a-4-v1", "a-6-v1", "b-4-v1"]
    assert steps.space(ranked, chunks, keep=3, neighbours=1) == ["a-3-v1", "a-6-v1", "b-4-v1"]
    assert steps.space(ranked, chunks, keep=2, neighbours=0) == ["a-3-v1", "a-4-v1"]


def test_passage_places_put_the_lede_first_only_when_the_passage_misses_it() -> None:
    assert steps.passage_places(chunk("a", 5), 1, ledes=True) == [0, 4, 6]
    assert steps.passage_places(chunk("a", 1), 1, ledes=True) == [0, 2]
    assert steps.passage_places(chunk("a", 5), 1, ledes=False) == [4, 6]


def test_widen_joins_neighbours_once_and_only_of_the_same_version() -> None:
    found = [chunk("a", 5), chunk("a", 7)]
    around = [chunk("a", 0), chunk("a", 4), chunk("a", 6, version="v2"), chunk("a", 8)]
    around.append(chunk("a", 6))
    first, second = steps.widen(found, around, reach=1, ledes=True)
    assert [c.position for c in first] == [0, 4, 5, 6]
    assert [c.article_hash for c in first] == ["v1"] * 4
    # The lede and position 6 are already in the better passage: not repeated.
    assert [c.position for c in second] == [7, 8]


def test_a_scored_document_gives_back_its_chunk() -> None:
    found = chunk("a", 2)
    document = steps.scored_document(found, similarity=0.4, relevance=0.6, score=0.01)
    assert document.metadata["relevance"] == 0.6 and document.page_content == found.text
    assert steps.chunk_of(document) == found


def test_relevance_is_cosine_plus_the_weighted_share_of_question_words() -> None:
    assert cosine([0.6, 0.8], [0.6, 0.8]) == pytest.approx(1.0)
    wanted = content_words("who controls Qairawan")
    assert relevance(0.3, wanted, "The PMU controls the town.") == pytest.approx(
        0.3 + LEXICAL_WEIGHT * 0.5
    )
