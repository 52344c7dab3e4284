"""Wire copies (issue 28): the same story carried by several outlets comes back as one passage,
and its Sources line names the other outlets. Real Chroma, the bundled model, BM25."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from langchain_core.documents import Document

from bot.answering import retrieval_steps as steps
from bot.answering.answers import Answer, Citation
from bot.answering.retrieval import ChunkRetriever
from bot.render import render_html, render_text
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore

STORY = (
    "Engineers reopened the Tal Sufouq bridge over the river on Monday after three weeks of "
    "repairs, the provincial council said, and traffic resumed within the hour."
)


def doc(text: str, article: str, source: str) -> Document:
    return Document(page_content=text, metadata={"article_key": article, "source": source})


def test_near_copies_of_a_better_passage_are_left_out_and_named() -> None:
    edited = STORY.replace("on Monday", "on Monday morning")
    documents = [
        doc(STORY, "wire-1", "Wire Service"),
        doc("Markets were calm as the central bank held rates.", "other", "Daily"),
        doc(edited, "copy-1", "Other Daily"),
        doc(STORY, "copy-2", "Example Times"),
        doc(STORY, "copy-3", "Example Times"),  # one outlet is named once
    ]
    kept = steps.one_per_story(documents)
    assert [d.metadata["article_key"] for d in kept] == ["wire-1", "other"]
    assert kept[0].metadata["also"] == ["Other Daily", "Example Times"]
    assert "also" not in kept[1].metadata


def test_chunks_of_one_article_and_empty_texts_are_never_copies() -> None:
    documents = [doc(STORY, "a", "A"), doc(STORY, "a", "A"), doc("", "b", "B"), doc("", "c", "C")]
    assert len(steps.one_per_story(documents)) == 4


def test_sources_name_the_other_outlets() -> None:
    citation = Citation(1, "Bridge reopens", "Wire Service", "", "2024-03-05", STORY, "c1", 0.9,
                        also=["Other Daily", "Example Times"])  # fmt: skip
    answer = Answer("q?", f"{STORY} [1]", refused=False, citations=[citation])
    assert "(Wire Service · 2024-03-05; also: Other Daily, Example Times)" in render_text(answer)
    assert "also: Other Daily, Example Times" in "".join(render_html(answer))
    loaded = Answer.from_json(answer.to_json())
    assert loaded.citations[0].also == ["Other Daily", "Example Times"]
    older = answer.to_json()
    del older["citations"][0]["also"]  # an answer recorded before wire copies were grouped
    assert Answer.from_json(older).citations[0].also == []


def test_retrieval_gives_one_passage_per_story(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = [
        Article(key=key, title="Bridge reopens", text=STORY, published="2024-03-05", source=source)
        for key, source in (("wire", "Wire Service"), ("copy", "Other Daily"))
    ] + [
        Article(
            key="dam",
            title="Dam works",
            text="Engineers began repairs on the Mosul dam, the ministry said.",
            published="2024-03-04",
        )
    ]
    keyword = KeywordIndex(tmp_path / "keyword")
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)
    retriever = ChunkRetriever(store=fresh_store, embeddings=embeddings, keyword=keyword.search)
    found = retriever.invoke("when did the Tal Sufouq bridge reopen?", as_of=date(2024, 3, 6))
    keys = [d.metadata["article_key"] for d in found]
    assert len(keys) == 2 and "dam" in keys, keys
    (story,) = [d for d in found if d.metadata["article_key"] != "dam"]
    assert story.metadata["also"] in (["Other Daily"], ["Wire Service"])
    retriever.one_per_story = False
    assert len(retriever.invoke("when did the Tal Sufouq bridge reopen?")) == 3


def test_the_same_words_weeks_apart_are_two_reports_not_copies() -> None:
    first = Document(page_content=STORY, metadata={"article_key": "a", "published": "2024-03-05"})
    later = Document(page_content=STORY, metadata={"article_key": "b", "published": "2024-04-05"})
    near = Document(page_content=STORY, metadata={"article_key": "c", "published": "2024-03-07"})
    kept = steps.one_per_story([first, later, near])
    assert [d.metadata["article_key"] for d in kept] == ["a", "b"]
