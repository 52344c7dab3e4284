"""Hybrid retrieval over a real Chroma and BM25: exact names win, recent reporting is preferred,
and a question asked "as of" a date never sees articles published after it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.retrieval import ChunkRetriever
from index.articles import Article
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
    index_articles(list(articles), store, embeddings, keyword=keyword)
    return ChunkRetriever(store=store, embeddings=embeddings, keyword=keyword, k=3)


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
