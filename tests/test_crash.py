"""kill -9 during `newsdesk index`, then the same command again: the index must equal a clean
index of the same sources (same chunk ids, no duplicates, no orphans, nothing missing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings
from index.indexer import Indexer
from index.ingest.fetch import FetchPolicy
from index.ingest.sources import Sources
from index.keyword import KeywordIndex
from index.store import ArticleStore

# Enough one-chunk articles for several embedding batches, so kills land mid-run.
ARTICLES = 1400
COLLECTION = "newsdesk-articles"


def write_corpus(folder: Path, count: int, edition: str = "") -> None:
    for n in range(count):
        path = folder / f"desk{n % 10}" / f"story-{n:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Story {n}{edition}\n\nCouncil {n} met on Monday in district {n % 37} and voted "
            f"on budget item {n * 7}{edition}. Residents asked about roads and schools.\n",
            encoding="utf-8",
        )


def index_command(home: Path, articles: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSDESK_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "index", str(articles), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_after_progress(home: Path, articles: Path, delay: float, *extra: str) -> bool:
    """Run the index command and kill -9 it `delay` seconds after its first progress line.
    Returns whether it was killed before finishing."""
    process = index_command(home, articles, *extra)
    assert process.stderr is not None
    for line in process.stderr:
        if "chunks embedded" in line:
            break
    time.sleep(delay)
    finished = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return not finished


def complete(home: Path, articles: Path, *extra: str) -> str:
    process = index_command(home, articles, *extra)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


def stored_state(store: ArticleStore) -> dict[str, set[str]]:
    ids = store.all_ids()
    assert len(ids) == len(set(ids)) == store.count()  # no duplicates
    return store.chunk_ids_by_article()


def clean_index(folder: Path, home: Path, embeddings: SentenceTransformerEmbeddings) -> Indexer:
    indexer = Indexer(
        store=open_store(COLLECTION, path=home / "chroma"),
        embeddings=embeddings,
        keyword=KeywordIndex(home / "keyword").sync,
        fetch_policy=FetchPolicy(),
    )
    indexer.run(Sources(paths=[folder]))
    return indexer


def test_kill_9_at_several_points_then_rerun_equals_a_clean_index(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> None:
    articles = tmp_path / "articles"
    home = tmp_path / "home"
    write_corpus(articles, ARTICLES)
    killed = [kill_after_progress(home, articles, delay) for delay in (0.0, 1.0, 2.0)]
    assert killed[0], "the first kill should land before indexing finished"
    out = complete(home, articles)
    assert "0 errors" in out

    # A second round: edit a tenth of the articles and delete a few, kill a pruning run
    # mid-way, then finish it.
    for path in sorted(articles.rglob("*.txt"))[:20]:
        path.unlink()
    edited = tmp_path / "edited"
    write_corpus(edited, ARTICLES, edition=" (corrected)")
    for n, path in enumerate(sorted(articles.rglob("*.txt"))):
        if n % 10 == 0:
            path.write_text((edited / path.relative_to(articles)).read_text(encoding="utf-8"))
    kill_after_progress(home, articles, 0.5, "--prune")
    complete(home, articles, "--prune")

    store = open_store(COLLECTION, path=home / "chroma")
    reference = clean_index(articles, tmp_path / "clean", embeddings)
    expected = stored_state(reference.store)
    assert len(expected) == ARTICLES - 20
    assert stored_state(store) == expected
    # The keyword index on disk was brought in step too, and the vector index finds every
    # sampled chunk by its own stored vector.
    assert sorted(KeywordIndex(home / "keyword" / COLLECTION).folder.ids()) == sorted(
        store.all_ids()
    )
    for chunk, vector in store.get_with_vectors(sorted(store.all_ids())[::97]):
        (hit,) = store.search(vector, 1)
        assert hit.chunk.id == chunk.id
