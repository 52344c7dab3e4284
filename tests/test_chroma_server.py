"""Server mode: a real `chroma run` on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.wiring.bot import build_bot
from bot.wiring.stores import configured_embeddings, open_article_store
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles
from index.store import StoreError
from tests.conftest import SEED_DIR, make_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the chroma command comes with the chromadb package"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, (data / "server.log").read_text()
            assert time.monotonic() < deadline, "chroma run did not start in 60 s"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_index_and_answer_through_a_chroma_server(
    chroma_server: int, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path, NEWSDESK_CHROMA_HOST="127.0.0.1", NEWSDESK_CHROMA_PORT=chroma_server
    )
    store = open_article_store(settings)
    assert store.description == f"Chroma server at 127.0.0.1:{chroma_server}"
    summary = index_articles(load_paths([SEED_DIR]), store, embeddings)
    assert summary.chunks_added > 0 and not summary.problems
    assert not (tmp_path / "chroma").exists(), "nothing was written to the embedded store"

    again = open_article_store(settings)  # a second client sees the same collection
    assert again.count() == summary.chunks_added
    answer = build_bot(settings, store=again, embeddings=embeddings).service.answer(
        "who controls Qairawan?"
    )
    assert not answer.refused and "Qairawan" in answer.answer
    # The passages' neighbours were read from the server too.
    assert any(len(citation.passage_ids) > 1 for citation in answer.citations)


def test_unreachable_server_is_a_clear_error() -> None:
    port = free_port()  # nothing listens here
    with pytest.raises(StoreError, match=f"Chroma server at 127.0.0.1:{port}"):
        open_store("articles", host="127.0.0.1", port=port)


def test_a_replica_opened_before_the_indexers_first_write_takes_its_record(
    chroma_server: int, tmp_path: Path, models_dir: Path
) -> None:
    """A replica opens the collection while it is empty and unrecorded; an indexer then records
    its int8 embeddings and writes chunks. The replica must see that record, not take the
    chunks for torch ones from before records (as it did: a race seen in test_deployment)."""
    settings = make_settings(
        tmp_path,
        NEWSDESK_CHROMA_HOST="127.0.0.1",
        NEWSDESK_CHROMA_PORT=chroma_server,
        NEWSDESK_COLLECTION="opened-before-the-first-write",
    )
    replica = open_article_store(settings)
    assert replica.count() == 0 and replica.recorded_embedding() is None
    indexer = open_article_store(settings)
    int8 = make_embeddings(backend="onnx-int8", cache_dir=models_dir)
    indexer.check_embedding(int8.identity)
    assert index_articles(load_paths([SEED_DIR]), indexer, int8).chunks_added > 0

    assert configured_embeddings(settings, replica, lazy=True).backend == "onnx-int8"
    replica.check_embedding(int8.identity)  # no StoreError
    assert replica.recorded_embedding() == "all-MiniLM-L6-v2/onnx-int8"
