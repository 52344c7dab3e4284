"""Hybrid retrieval over a real Chroma and BM25: exact names win, recent reporting is preferred,
and a question asked "as of" a date never sees articles published after it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.answering.retrieval import ChunkRetriever
from index.articles import Article
from index.chunking import join_chunks
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore

REPORT = "The militia that controls {town} said on {day} that the road to the river is open again."


def indexed(
    store: ArticleStore,
    tmp_path: Path,
    embeddings: SentenceTransformerEmbeddings,
    *articles: Article,
) -> ChunkRetriever:
    keyword = KeywordIndex(tmp_path / "keyword")
    index_articles(list(articles), store, embeddings, keyword=keyword.sync)
    return ChunkRetriever(store=store, embeddings=embeddings, keyword=keyword.search, k=3)


def dated(key: str, published: str, town: str = "Qairawan", day: str = "Monday") -> Article:
    return Article(
        key=key,
        title=f"Report from {town}",
        text=REPORT.format(town=town, day=day),
        published=published,
    )


def test_the_more_recent_of_two_equal_reports_ranks_first(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    old, new = dated("old", "2023-01-02", day="Tuesday"), dated("new", "2023-02-20", day="Tuesday")
    retriever = indexed(fresh_store, tmp_path, embeddings, old, new)
    question = "who controls Qairawan?"

    def keys(as_of: date | None) -> list[str]:
        return [d.metadata["article_key"] for d in retriever.invoke(question, as_of=as_of)]

    assert keys(date(2023, 2, 21))[0] == "new"
    assert keys(date(2023, 1, 3)) == ["old"]  # "new" wasn't written yet
    assert set(keys(None)) == {"old", "new"}  # as of today, both are old news
    assert len(retriever.invoke(question, k=1)) == 1  # k for this call, as LangChain passes it


def test_an_exact_name_beats_recency(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    named = dated("named", "2022-06-01", town="Tal Sufouq")
    recent = [
        Article(
            key=f"recent-{n}",
            title=f"Market report {n}",
            text=f"Prices of bread and fuel in market {n} rose again this week, traders said.",
            published="2023-02-20",
        )
        for n in range(12)
    ]
    retriever = indexed(fresh_store, tmp_path, embeddings, named, *recent)
    (first, *_) = retriever.invoke("who controls Tal Sufouq?", as_of=date(2023, 2, 21))
    assert first.metadata["article_key"] == "named"
    assert first.metadata["relevance"] > first.metadata["similarity"] > 0


def test_undated_articles_are_kept(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    retriever = indexed(fresh_store, tmp_path, embeddings, dated("undated", ""))
    found = retriever.invoke("who controls Qairawan?", as_of=date(2020, 1, 1))
    assert [d.metadata["article_key"] for d in found] == ["undated"]


def long_report(key: str, topics: list[str]) -> Article:
    """An article of one paragraph per topic, each several sentences: many chunks."""
    paragraphs = [
        " ".join(f"Sentence {n} of the report on {topic} adds detail {n}." for n in range(8))
        for topic in topics
    ]
    return Article(key=key, title="Weekly report", text="\n".join(paragraphs))


TOPICS = ["bread prices", "the river crossing", "the water supply", "the school year",
          "the power station", "the football league", "the harvest", "the bus routes"]  # fmt: skip


def test_a_passage_is_its_article_lede_and_the_found_chunk_with_its_neighbours(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    retriever = indexed(fresh_store, tmp_path, embeddings, long_report("weekly", TOPICS))
    chunks = {c.id: c for c in fresh_store.all_chunks()}
    assert len(chunks) >= 6
    found = retriever.invoke("What does the report say about the power station?")
    assert len(found) == 3
    first = found[0]
    anchor = chunks[first.metadata["id"]]
    assert "power station" in anchor.text
    assert anchor.position >= 3  # far enough down that the lede isn't a neighbour
    passage = [chunks[i] for i in first.metadata["passage_ids"]]
    assert [c.position for c in passage] == [
        0,
        anchor.position - 1,
        anchor.position,
        anchor.position + 1,
    ]
    assert first.page_content == join_chunks(passage)
    # The lede, then a line break where the article's text skips to the found chunk's.
    lede = passage[0].text
    assert first.page_content.startswith(lede + "\n" + passage[1].text[:40])
    assert passage[3].text[-40:] in first.page_content
    # Passages never share a chunk: a chunk next to a better one is skipped, not repeated.
    used = [i for document in found for i in document.metadata["passage_ids"]]
    assert len(used) == len(set(used))

    # Without the keyword index's layout, the neighbours are asked of the store: same passage.
    dense_only = retriever.model_copy(update={"keyword": None})
    (same, *_) = dense_only.invoke("What does the report say about the power station?")
    assert same.metadata["id"] == first.metadata["id"]
    assert same.metadata["passage_ids"] == first.metadata["passage_ids"]

    no_lede = retriever.model_copy(update={"ledes": False})
    (window, *_) = no_lede.invoke("What does the report say about the power station?")
    assert window.metadata["passage_ids"] == first.metadata["passage_ids"][1:]

    alone = retriever.model_copy(update={"neighbours": 0, "ledes": False})
    (only, *_) = alone.invoke("What does the report say about the power station?")
    assert only.page_content == anchor.text and only.metadata["passage_ids"] == [anchor.id]


def test_the_lede_is_shown_once_and_not_before_a_passage_that_starts_the_article(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    retriever = indexed(fresh_store, tmp_path, embeddings, long_report("weekly", TOPICS))
    retriever = retriever.model_copy(update={"k": 4})
    chunks = {c.id: c for c in fresh_store.all_chunks()}
    for question in ("the power station and the bus routes", "bread prices", "the harvest"):
        found = retriever.invoke(f"What does the report say about {question}?")
        # One passage has the top of the article: the best one, unless the lede (or the
        # chunk after it) was found itself.
        ledes = [d for d in found if chunks[d.metadata["passage_ids"][0]].position == 0]
        assert len(ledes) == 1, question
        if all(chunks[d.metadata["id"]].position > 1 for d in found):
            assert ledes == found[:1], question
        used = [i for document in found for i in document.metadata["passage_ids"]]
        assert len(used) == len(set(used)), question
        for document in found:
            positions = [chunks[i].position for i in document.metadata["passage_ids"]]
            anchor = chunks[document.metadata["id"]].position
            # Each passage is the found chunk's window, with the lede before it only if the
            # window doesn't reach the top of the article.
            window = [p for p in positions if abs(p - anchor) <= 1]
            assert positions == ([0] if positions[0] < anchor - 1 else []) + window, question


def test_neighbours_come_from_the_same_article_only(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    indexed(fresh_store, tmp_path, embeddings, long_report("a", TOPICS), long_report("b", TOPICS))
    by_place = {(c.article_key, c.position): c for c in fresh_store.all_chunks()}
    # One query for both: its filter also matches a's positions 3-5 and b's 0-1; left out.
    around = fresh_store.get_around([by_place["a", 0], by_place["b", 4]], 1)
    assert sorted((c.article_key, c.position) for c in around) == [
        ("a", 0), ("a", 1), ("b", 3), ("b", 4), ("b", 5)
    ]  # fmt: skip
    assert fresh_store.get_around([by_place["a", 2]], 0) == [by_place["a", 2]]
