"""Stories at index time (issue 28, wire copies): articles carried by several outlets within a
few days share a story id in the catalog and their chunks' metadata; re-indexing keeps them;
a store indexed before stories gets them once, without embedding; retrieval keeps one passage
per story and names every other outlet. Real Chroma, the bundled model, BM25."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from langchain_core.documents import Document

from bot.answering import retrieval_steps as steps
from bot.answering.retrieval import ChunkRetriever
from bot.cli.main import main
from index.articles import Article
from index.backfill import backfill_stories
from index.catalog import all_articles
from index.chunking import chunk_article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore
from index.stories import (
    PERMUTATIONS,
    ArticleText,
    Stories,
    assign_all,
    minhash_of,
    own_story,
    signature,
)

BRIDGE = (
    "Engineers reopened the Tal Sufouq bridge over the river on Monday after three weeks of "
    "repairs, the provincial council said, and traffic resumed within the hour. The council "
    "said the repairs cost four million dinars and that a second crossing would open in May. "
    "Shopkeepers on both banks welcomed the news after weeks of long detours."
)
EDITED = BRIDGE.replace("on Monday", "on Monday morning").replace("welcomed", "cheered")
DAM = (
    "Work began on the Mosul dam on Tuesday, the water ministry said, with grouting crews on "
    "the eastern side of the wall. Engineers expect the first stage to take six months."
)


def article(key: str, text: str, published: str, source: str) -> Article:
    return Article(key=key, title="Bridge reopens", text=text, published=published, source=source)


def three_articles() -> list[Article]:
    """A wire story, another outlet's copy of it a day later, and another story."""
    return [
        article("wire", BRIDGE, "2024-03-05", "Wire Service"),
        article("copy", EDITED, "2024-03-06", "Other Daily"),
        article("dam", DAM, "2024-03-05", "Daily"),
    ]


def stories_by_key(store: ArticleStore) -> dict[str, set[str]]:
    """Each article's stories as its chunks' metadata holds them (one each, when consistent)."""
    found: dict[str, set[str]] = {}
    for _, meta in store.all_metadata():
        found.setdefault(str(meta["article"]), set()).add(str(meta.get("story", "")))
    return found


def test_signatures_of_short_damaged_and_huge_texts() -> None:
    assert signature("") == signature("four words only here") == ""
    assert len(signature(BRIDGE)) == PERMUTATIONS * 8
    assert signature(BRIDGE) == signature(BRIDGE.upper())  # case doesn't make another story
    for damaged in ("", "not hex", "ab" * 3, "00" * (PERMUTATIONS * 4 + 1)):
        assert minhash_of(damaged) is None
    assert minhash_of(signature(BRIDGE * 2000)) is not None  # 600,000 characters


def test_copies_within_days_join_a_story_and_templates_weeks_apart_do_not() -> None:
    stories = Stories()
    wire = stories.assign("wire", "2024-03-05", signature(BRIDGE), "Wire Service")
    assert wire == own_story("wire")
    assert stories.assign("copy", "2024-03-07", signature(EDITED), "Other Daily") == wire
    # the same outlet's page: its own menus and footers, or its follow-up, not a copy
    one_outlet = Stories()
    one_outlet.assign("first", "2024-03-05", signature(BRIDGE), "Wire Service")
    again = one_outlet.assign("again", "2024-03-06", signature(EDITED), "wire service")
    assert again == own_story("again")
    assert stories.assign("weekly", "2024-04-05", signature(BRIDGE)) == own_story("weekly")
    assert stories.assign("dam", "2024-03-05", signature(DAM)) == own_story("dam")
    assert stories.assign("undated", "", signature(BRIDGE)) == own_story("undated")
    assert stories.assign("bad date", "5th of March", signature(BRIDGE)) == own_story("bad date")
    assert stories.assign("damaged", "2024-03-05", "zz") == own_story("damaged")


def test_the_assignment_is_the_same_in_any_order() -> None:
    texts = [
        ArticleText("c", "2024-03-06", EDITED),
        ArticleText("a", "2024-03-05", BRIDGE),
        ArticleText("b", "2024-03-05", DAM),
    ]
    first = assign_all(texts)
    assert assign_all(reversed(texts)) == first
    assert first["a"][0] == first["c"][0] == own_story("a")
    assert first["b"][0] == own_story("b")


def test_indexing_groups_copies_in_the_catalog_and_the_chunks(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = three_articles()
    index_articles(articles, fresh_store, embeddings)
    assert stories_by_key(fresh_store) == {
        "wire": {own_story("wire")},
        "copy": {own_story("wire")},
        "dam": {own_story("dam")},
    }
    catalog = {a.key: a.story for a in all_articles(fresh_store)}
    assert catalog == {
        "wire": own_story("wire"),
        "copy": own_story("wire"),
        "dam": own_story("dam"),
    }

    # Again, and in another order: nothing embedded, the same stories.
    again = index_articles(list(reversed(articles)), fresh_store, embeddings)
    assert again.chunks_added == 0 and again.articles_unchanged == 3
    assert {a.key: a.story for a in all_articles(fresh_store)} == catalog

    # A copy indexed later, in a run of its own, joins the story from the store.
    later = article("late", BRIDGE, "2024-03-08", "Example Times")
    index_articles([*articles, later], fresh_store, embeddings)
    assert stories_by_key(fresh_store)["late"] == {own_story("wire")}
    # A changed copy is grouped again, its unchanged chunks' metadata too.
    changed = article("copy", DAM + " The minister visited.", "2024-03-06", "Other Daily")
    index_articles([articles[0], changed, articles[2], later], fresh_store, embeddings)
    assert stories_by_key(fresh_store)["copy"] == {own_story("dam")}


def test_the_articles_of_a_span_of_days_are_read_from_their_first_chunks(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    index_articles(
        [*three_articles(), article("old", DAM, "2023-01-05", "Daily")], fresh_store, embeddings
    )
    day = date(2024, 3, 5).toordinal()
    # A week, as an indexing run reads it (listed days), and a year and more (a range).
    week = fresh_store.story_members(day - 3, day + 3)
    assert sorted((m.key, m.day) for m in week) == [("copy", day + 1), ("dam", day), ("wire", day)]
    assert all(m.signature for m in week)
    years = fresh_store.story_members(day - 800, day)
    assert sorted(m.key for m in years) == ["dam", "old", "wire"]
    assert fresh_store.story_members(day + 2, day + 3) == []


def test_a_store_from_before_stories_gets_them_once_without_embedding(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = three_articles()
    for item in articles:  # as an older newsdesk stored them: no story, no signature
        chunks = chunk_article(item)
        fresh_store.add(chunks, embeddings.embed_documents([c.embedding_text for c in chunks]))
    assert not fresh_store.stories_recorded()
    assert {a.story for a in all_articles(fresh_store)} == {""}

    summary = index_articles(articles, fresh_store, embeddings)
    assert summary.stories_backfilled == 3 and summary.chunks_added == 0
    assert "stories given to 3 articles indexed before them" in summary.describe()
    assert stories_by_key(fresh_store)["copy"] == {own_story("wire")}
    assert fresh_store.stories_recorded()
    assert index_articles(articles, fresh_store, embeddings).stories_backfilled == 0
    # Cut short and run again (the record not written yet): the same stories.
    before = stories_by_key(fresh_store)
    assert backfill_stories(fresh_store) == 0
    fresh_store._collection.modify(metadata={"newsdesk_stories": 0})
    assert backfill_stories(fresh_store) == 3
    assert stories_by_key(fresh_store) == before


def test_an_empty_store_records_stories_at_once(fresh_store: ArticleStore) -> None:
    assert backfill_stories(fresh_store) == 0
    assert fresh_store.stories_recorded()


@pytest.fixture
def three_outlets(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> ChunkRetriever:
    articles = [
        article("wire", BRIDGE, "2024-03-05", "Wire Service"),
        article("copy", EDITED, "2024-03-06", "Other Daily"),
        article("late", BRIDGE, "2024-03-07", "Example Times"),
        Article(key="dam", title="Dam works", text=DAM, published="2024-03-04", source="Daily"),
    ]
    keyword = KeywordIndex(tmp_path / "keyword")
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)
    return ChunkRetriever(
        store=fresh_store, embeddings=embeddings, keyword=keyword.search, wire_copies="stories"
    )


def test_retrieval_keeps_one_passage_per_story_and_names_every_outlet(
    three_outlets: ChunkRetriever,
) -> None:
    question = "when did the Tal Sufouq bridge reopen?"
    found = three_outlets.invoke(question, as_of=date(2024, 3, 8))
    keys = [d.metadata["article_key"] for d in found]
    assert len(keys) == 2 and "dam" in keys, keys
    (story,) = [d for d in found if d.metadata["article_key"] != "dam"]
    outlets = {"Wire Service", "Other Daily", "Example Times"}
    assert set(story.metadata["also"]) == outlets - {story.metadata["source"]}
    assert "signature" not in story.metadata
    # Asked before the copies were written: no outlet named that hadn't run it yet.
    (first,) = three_outlets.invoke(question, k=1, as_of=date(2024, 3, 4))
    assert first.metadata["article_key"] == "wire" and "also" not in first.metadata
    three_outlets.one_per_story = False
    assert len(three_outlets.invoke(question, as_of=date(2024, 3, 8))) == 4


def test_articles_show_names_the_story_and_its_other_outlets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    records = [
        {"id": "wire", "title": "Bridge", "text": BRIDGE, "published": "2024-03-05",
         "source": "Wire Service"},
        {"id": "copy", "title": "Bridge", "text": EDITED, "published": "2024-03-06",
         "source": "Other Daily"},
        {"id": "dam", "title": "Dam", "text": DAM, "published": "2024-03-05", "source": "Daily"},
    ]  # fmt: skip
    source = tmp_path / "wire.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records))
    assert main(["index", "--quiet", str(source)]) == 0
    capsys.readouterr()
    assert main(["articles", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["articles"]
    ids = {a["source"]: a["id"] for a in listed}
    stories = {a["source"]: a["story"] for a in listed}
    assert stories["Other Daily"] == stories["Wire Service"] != stories["Daily"] == ids["Daily"]
    assert main(["articles", "show", ids["Other Daily"]]) == 0
    shown = capsys.readouterr().out
    assert f"story:      {stories['Wire Service']} (also: Wire Service)" in shown
    assert main(["articles", "show", ids["Daily"]]) == 0
    assert f"story:      {ids['Daily']}\n" in capsys.readouterr().out


def test_a_copy_whose_found_passage_was_rewritten_is_left_out_by_its_story() -> None:
    """Another outlet rewrote the lede of the wire story: the found passages share few
    words (the text step keeps both), but the articles are one story (index time)."""

    def found(text: str, key: str, source: str) -> Document:
        meta = {"article_key": key, "source": source, "story": own_story("wire")}
        return Document(page_content=text, metadata=meta)

    documents = [
        found(BRIDGE, "wire", "Wire Service"),
        found("Drivers in the province can cross the river again, officials said.", "copy",
              "Other Daily"),
        found(DAM, "wire", "Wire Service"),  # another passage of the same article stays
    ]  # fmt: skip
    assert len(steps.one_per_story(documents)) == 3
    kept = steps.one_per_indexed_story(documents)
    assert [d.page_content for d in kept] == [BRIDGE, DAM]
    assert kept[0].metadata["also"] == ["Other Daily"]
    undated = [Document(page_content=BRIDGE, metadata={"article_key": "a"}),
               Document(page_content=BRIDGE, metadata={"article_key": "b"})]  # fmt: skip
    assert len(steps.one_per_indexed_story(undated)) == 2  # no story: each its own article's


def test_a_copy_of_an_article_stored_without_a_story_takes_that_articles_id(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    """Written by an older newsdesk after the backfill: signature and day, no story."""
    wire, copy, _ = three_articles()
    assert backfill_stories(fresh_store) == 0  # recorded: an empty store
    chunks = chunk_article(wire, "", signature(wire.text))
    fresh_store.add(chunks, embeddings.embed_documents([c.embedding_text for c in chunks]))
    index_articles([copy], fresh_store, embeddings)
    assert stories_by_key(fresh_store) == {"wire": {""}, "copy": {own_story("wire")}}
