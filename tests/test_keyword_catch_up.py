"""The keyword index caught up in the background at start-up (issue 30): a bot on a store whose
keyword index must be rebuilt answers at once, from the vector store and what the keyword
index holds, and gets the keyword results back when the rebuild ends; a rebuild killed
half-way resumes; only the holder of the store's writer lock rebuilds."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli.asking import say_if_keyword_index_behind
from bot.settings import Settings
from bot.wiring.answering import build_answering
from bot.wiring.bot import build_bot
from bot.wiring.stores import keyword_index_folder, open_article_store
from index.embeddings import SentenceTransformerEmbeddings
from index.ingest.loaders import load_paths
from index.keyword import KeywordIndex, background
from index.keyword.background import BackgroundCatchUp
from index.keyword.sync import STATE_FILE
from index.pipeline import index_articles
from index.store import ArticleStore
from index.writer_lock import WriterLock
from tests.conftest import SEED_DIR, make_settings

QUESTION = "who controls Qairawan?"


@pytest.fixture
def every_catch_up_in_background(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's 8 chunks stand for a large store: every catch-up goes to the background."""
    monkeypatch.setattr(background, "FOREGROUND_CHUNKS", 0)


def seeded_without_keyword_index(home: Path, embeddings: SentenceTransformerEmbeddings) -> Settings:
    """A home whose store holds the seed article (8 chunks) and whose keyword index is of an
    older layout, as after an upgrade: it must be rebuilt from the store."""
    settings = make_settings(home)
    index_articles(load_paths([SEED_DIR]), open_article_store(settings), embeddings)
    older = keyword_index_folder(settings) / "tantivy"
    older.mkdir(parents=True)
    (older / "meta.json").write_text("{}")
    return settings


@pytest.mark.usefixtures("every_catch_up_in_background")
def test_a_bot_answers_during_the_rebuild_and_has_keyword_results_after_it(
    tmp_path: Path,
    embeddings: SentenceTransformerEmbeddings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = seeded_without_keyword_index(tmp_path, embeddings)
    caplog.set_level(logging.INFO)
    # Another process's indexing run holds the writer lock: the rebuild waits for it, so the
    # questions below are asked while it has not finished.
    with WriterLock(settings.chroma_dir).held():
        bot = build_bot(settings, embeddings=embeddings)
        assert bot.keyword_catch_up.running
        assert bot.answering.keyword.search.search("Qairawan", 4) == []
        answer = bot.service.answer(QUESTION)
        assert not answer.refused and answer.citations, "answered from the vector store"
        assert "Qairawan" in answer.answer
    assert bot.keyword_catch_up.wait(60)
    found = bot.answering.keyword.search.search("Qairawan", 4)
    assert found and {chunk_id for chunk_id, _ in found} <= set(bot.answering.store.all_ids())
    assert bot.answering.keyword.folder.count() == bot.answering.store.count() == 8
    assert not bot.answering.keyword.sync.out_of_step(bot.answering.store)
    assert "catching up in the background" in caplog.text
    assert "another indexing run" in caplog.text  # it said it waited for the lock
    assert "keyword index in step with the store: 8 chunks" in caplog.text
    assert bot.service.answer(QUESTION).citations


def test_a_small_catch_up_is_done_before_the_first_answer(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    settings = seeded_without_keyword_index(tmp_path, embeddings)
    bot = build_bot(settings, embeddings=embeddings)
    assert not bot.keyword_catch_up.running
    assert bot.answering.keyword.folder.count() == 8
    assert bot.answering.keyword.search.search("Qairawan", 4)


def test_an_empty_store_starts_nothing(tmp_path: Path, fresh_store: ArticleStore) -> None:
    keyword = KeywordIndex(tmp_path / "keyword")
    catch_up = BackgroundCatchUp(keyword.sync, fresh_store)
    assert catch_up.start() is False and not catch_up.running
    assert catch_up.start() is False, "in step now: nothing to look at"


def test_a_rebuild_killed_half_way_keeps_what_it_committed_and_the_next_resumes(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    settings = seeded_without_keyword_index(tmp_path, embeddings)
    folder = keyword_index_folder(settings)
    # A process that rebuilds 3 chunks a commit and is killed (-9) after its first commit.
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from index.keyword import KeywordIndex
        from index.chroma_client import open_store
        store = open_store({settings.collection!r}, path=Path({str(settings.chroma_dir)!r}))
        keyword = KeywordIndex(Path({str(folder)!r}))
        def progress(done, total):
            os.kill(os.getpid(), signal.SIGKILL)
        keyword.sync.catch_up(store, progress=progress, commit_chunks=3)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=120)
    assert done.returncode == -9
    keyword, store = KeywordIndex(folder), open_article_store(settings)
    assert keyword.folder.count() == 3, "the first commit is kept"
    assert '"pending": true' in (folder / STATE_FILE).read_text()
    assert keyword.sync.out_of_step(store)
    answering = build_answering(settings, store=store, keyword=keyword, embeddings=embeddings)
    assert answering.service.answer(QUESTION).citations, "usable meanwhile"
    told: list[tuple[int, int]] = []
    assert keyword.sync.catch_up(store, progress=lambda *step: told.append(step), commit_chunks=3)
    assert told == [(3, 5), (5, 5)], "resumed with the 5 chunks it lacked"
    assert sorted(keyword.folder.ids()) == sorted(store.all_ids())
    assert not keyword.sync.out_of_step(store)


@pytest.mark.usefixtures("every_catch_up_in_background")
def test_only_the_holder_of_the_writer_lock_rebuilds(
    tmp_path: Path,
    embeddings: SentenceTransformerEmbeddings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = seeded_without_keyword_index(tmp_path, embeddings)
    folder = keyword_index_folder(settings)
    caplog.set_level(logging.INFO)
    # Two bots' catch-ups on the same home, each with its own store client and keyword index.
    first = BackgroundCatchUp(KeywordIndex(folder).sync, open_article_store(settings))
    second = BackgroundCatchUp(KeywordIndex(folder).sync, open_article_store(settings))
    with WriterLock(settings.chroma_dir).held():
        assert first.start(), "the first finds it out of step"
        assert second.start(), "and so does the second, before the first has the lock"
    assert first.wait(60) and second.wait(60)
    assert caplog.text.count("keyword index in step with the store: 8 chunks") == 1
    assert "already in step with the store (another process)" in caplog.text
    assert KeywordIndex(folder).folder.count() == 8


@pytest.mark.usefixtures("every_catch_up_in_background")
def test_stopped_while_waiting_for_the_lock_it_ends_and_the_next_start_rebuilds(
    tmp_path: Path,
    embeddings: SentenceTransformerEmbeddings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = seeded_without_keyword_index(tmp_path, embeddings)
    caplog.set_level(logging.INFO)
    keyword, store = KeywordIndex(keyword_index_folder(settings)), open_article_store(settings)
    with WriterLock(settings.chroma_dir).held():
        catch_up = BackgroundCatchUp(keyword.sync, store)
        assert catch_up.start()
        catch_up.stop(timeout=30)
        assert not catch_up.running
    assert "stopped while waiting for the writer lock" in caplog.text
    assert keyword.folder.count() == 0
    again = BackgroundCatchUp(keyword.sync, store)
    assert again.start() and again.wait(60)
    assert keyword.folder.count() == 8


def test_a_one_off_question_says_when_the_keyword_index_is_behind(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = seeded_without_keyword_index(tmp_path, embeddings)
    answering = build_answering(settings, embeddings=embeddings)
    say_if_keyword_index_behind(answering)
    assert "the keyword index (0 chunks) is not in step with the store" in caplog.text
    assert answering.service.answer(QUESTION).citations
    caplog.clear()
    answering.keyword.sync.catch_up(answering.store)
    say_if_keyword_index_behind(answering)
    assert caplog.text == ""
