"""The ONNX backends: exported once from the bundled weights, vectors close to torch's, the
default for a new index, and vectors of different backends never mixed in one store."""

from __future__ import annotations

import itertools
import json
import logging
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import pytest
from langchain_core.callbacks import BaseCallbackHandler

from bot.answering.extractive import ExtractiveAnswerer
from bot.cli.main import main
from bot.wiring.bot import build_bot
from bot.wiring.stores import sentence_embeddings
from index.chroma_client import open_store
from index.embeddings import (
    DEFAULT_BACKEND,
    EmbeddingModelError,
    SentenceTransformerEmbeddings,
    bundled_model_path,
    make_embeddings,
    same_vectors,
)
from index.onnx_encoder import OnnxExportError
from index.store import StoreError
from tests.conftest import SEED_DIR, make_settings

TEXTS = [
    "Who controls Qairawan?",
    next(SEED_DIR.iterdir()).read_text()[:1500],
    "A short one.",
    "The Popular Mobilization Units said they had taken the town of Qairawan west of Mosul.",
]


def cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    return np.asarray((np.asarray(a) * np.asarray(b)).sum(axis=1))


@pytest.mark.parametrize(("backend", "closest"), [("onnx", 0.99999), ("onnx-int8", 0.97)])
def test_onnx_vectors_are_close_to_torch(
    backend: str, closest: float, embeddings: SentenceTransformerEmbeddings, models_dir: Path
) -> None:
    onnx = make_embeddings(backend=backend, cache_dir=models_dir)
    assert onnx.identity == f"all-MiniLM-L6-v2/{backend}"
    vectors = onnx.embed_documents(TEXTS, batch_size=2)
    assert cosines(vectors, embeddings.embed_documents(TEXTS)).min() > closest
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(1.0, abs=1e-5)
    # Order is kept whatever the batching, and an empty call is empty.
    assert cosines(onnx.embed_documents(TEXTS[::-1], batch_size=3)[::-1], vectors).min() > 0.9999
    assert onnx.embed_documents([]) == []


def test_int8_vectors_are_the_same_alone_among_others_and_across_threads(
    models_dir: Path,
) -> None:
    """int8 embeds a text at a time on one single-thread session per core (BENCHMARKS.md, "The
    default: int8 with 7-bit weights"): a text's vector is the same whichever texts it comes
    with, whichever run takes it, and however many callers embed at once."""
    int8 = make_embeddings(backend="onnx-int8", cache_dir=models_dir)
    assert int8.model.workers >= 1  # type: ignore[attr-defined]
    alone = np.asarray([int8.embed_documents([text])[0] for text in TEXTS])
    together = np.asarray(int8.embed_documents(TEXTS * 3))
    assert np.abs(together - np.tile(alone, (3, 1))).max() < 1e-6
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda k: int8.embed_documents(TEXTS[k:] + TEXTS[:k]), range(4)))
    for k, run in enumerate(runs):
        assert np.abs(np.asarray(run) - np.roll(alone, -k, axis=0)).max() < 1e-6


def test_the_export_is_made_once_and_reused_and_says_only_that(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    models_dir = tmp_path / "models"
    with caplog.at_level(logging.INFO):
        make_embeddings(backend="onnx-int8", cache_dir=models_dir).embed_query("warm")
    # One line that it is exported once, and no warning about the exporter's internals (the
    # quantizer's advice to pre-process the graph, the tracer's warnings).
    assert [r.getMessage()[:9] for r in caplog.records if r.levelno >= logging.INFO] == [
        "exporting"
    ]
    exports = sorted(p.name for p in models_dir.iterdir() if not p.name.startswith("."))
    assert any("int8" in name for name in exports)
    make_embeddings(backend="onnx-int8", cache_dir=models_dir).embed_query("again")
    assert sorted(p.name for p in models_dir.iterdir() if not p.name.startswith(".")) == exports


def test_processes_starting_together_export_once(tmp_path: Path) -> None:
    """Replicas and an indexer started at once share one cache: one exports, the others wait
    for it and load it, and none sees a half-made export."""
    cache = tmp_path / "models"
    with ThreadPoolExecutor(2) as pool:
        loaded = list(pool.map(lambda _: make_embeddings(backend="onnx", cache_dir=cache), [1, 2]))
    a, b = (embeddings.embed_query("Qairawan") for embeddings in loaded)
    assert cosines([a], [b]).min() > 0.99999
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1


def test_a_new_index_uses_the_default_backend_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    assert main(["index", str(SEED_DIR), "--quiet"]) == 0
    store = open_store("newsdesk-articles", path=tmp_path / "chroma")
    assert store.recorded_embedding() == f"all-MiniLM-L6-v2/{DEFAULT_BACKEND}"
    capsys.readouterr()
    assert main(["ask", "--json", "who controls Qairawan?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["refused"] and "Qairawan" in answer["answer"]


def test_int8_chunks_are_answered_from_fp32_sentence_vectors(
    tmp_path: Path, models_dir: Path
) -> None:
    """With int8 chunks the answerer still embeds its question and sentences in fp32, whose
    choice of sentence int8 did not match on rtqa-val; with fp32 chunks it shares them."""
    settings = make_settings(tmp_path, NEWSDESK_EMBEDDING_BACKEND="onnx-int8")
    int8 = make_embeddings(backend="onnx-int8", cache_dir=models_dir)
    fp32 = make_embeddings(backend="onnx", cache_dir=models_dir)
    for_sentences = sentence_embeddings(settings, int8)
    assert (int8.identity, for_sentences.identity) == (
        "all-MiniLM-L6-v2/onnx-int8",
        "all-MiniLM-L6-v2/onnx",
    )
    assert sentence_embeddings(settings, fp32) is fp32
    sentence = [TEXTS[3]]
    assert cosines(for_sentences.embed_sentences(sentence, 4), fp32.embed_documents(sentence))[
        0
    ] == pytest.approx(1.0, abs=1e-6)
    assert cosines(int8.embed_documents(sentence), fp32.embed_documents(sentence))[0] < 0.99999


def test_vectors_of_another_backend_are_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "torch")
    assert main(["index", str(SEED_DIR), "--quiet"]) == 0
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "onnx-int8")
    capsys.readouterr()
    assert main(["ask", "who controls Qairawan?"]) == 2
    err = capsys.readouterr().err
    assert "holds vectors of all-MiniLM-L6-v2/torch, not all-MiniLM-L6-v2/onnx-int8" in err
    assert "NEWSDESK_EMBEDDING_BACKEND=torch" in err and "Traceback" not in err
    # auto follows what the store was built with.
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "auto")
    assert main(["ask", "who controls Qairawan?"]) == 0


def test_torch_and_onnx_fp32_vectors_share_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """They compute the same vectors, so a store made by one is searched and extended by the
    other without re-indexing; int8's vectors are another kind."""
    assert same_vectors("all-MiniLM-L6-v2/torch", "all-MiniLM-L6-v2/onnx")
    assert not same_vectors("all-MiniLM-L6-v2/onnx", "all-MiniLM-L6-v2/onnx-int8")
    assert not same_vectors("all-MiniLM-L6-v2/torch", "other-model/onnx")
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "torch")
    assert main(["index", str(SEED_DIR), "--quiet"]) == 0
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "onnx")
    capsys.readouterr()
    assert main(["ask", "--json", "who controls Qairawan?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["refused"] and "Qairawan" in answer["answer"]
    extra = tmp_path / "extra.txt"
    extra.write_text("Kirkuk Council Elects Mayor\n\nThe council of Kirkuk elected Rakan Saeed.")
    assert main(["index", str(extra), "--quiet"]) == 0
    store = open_store("newsdesk-articles", path=tmp_path / "chroma")
    assert store.recorded_embedding() == "all-MiniLM-L6-v2/torch"  # the record stays


def test_a_store_from_before_the_record_is_taken_as_torch(
    tmp_path: Path, embeddings: SentenceTransformerEmbeddings, models_dir: Path
) -> None:
    store = open_store("older", path=tmp_path / "chroma")
    from index.ingest.loaders import load_paths
    from index.pipeline import index_articles

    index_articles(load_paths([SEED_DIR]), store, embeddings)  # no record, as before backends
    assert store.recorded_embedding() is None
    settings = make_settings(tmp_path, NEWSDESK_COLLECTION="older")
    parts = build_bot(settings, store=store)
    # Searched with ONNX fp32, torch's vectors made faster; the record stays torch.
    assert parts.answering.embeddings.backend == "onnx"
    assert store.recorded_embedding() == "all-MiniLM-L6-v2/torch"
    int8 = make_embeddings(backend="onnx-int8", cache_dir=models_dir)
    with pytest.raises(StoreError, match="don't mix"):
        build_bot(settings, store=open_store("older", path=tmp_path / "chroma"), embeddings=int8)


def test_bad_backend_settings_get_clear_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "tensorrt")
    assert main(["ask", "anything"]) == 2
    assert "NEWSDESK_EMBEDDING_BACKEND" in capsys.readouterr().err
    with pytest.raises(EmbeddingModelError, match="choose one of torch, onnx, onnx-int8"):
        make_embeddings(backend="tensorrt")
    with pytest.raises(EmbeddingModelError, match="need a local model folder"):
        make_embeddings("no-such/model", backend="onnx", cache_dir=tmp_path)


def test_a_model_folder_that_is_not_mean_pooled_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_path(), folder)
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False}))
    with pytest.raises(OnnxExportError, match="NEWSDESK_EMBEDDING_BACKEND=torch"):
        make_embeddings(str(folder), backend="onnx", cache_dir=tmp_path / "cache")
    left = [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")]
    assert not left, "nothing half-made is left in the cache (only the export's lock file)"


def test_the_answerers_question_is_embedded_once_beside_retrieval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under int8 chunks the answerer's fp32 vector of the question is made in a step that
    runs beside retrieval (warm_answerer), so the answer finds it ready: the fp32 model
    encodes the question once, alone, and the sentences without it."""
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    assert main(["index", str(SEED_DIR), "--quiet"]) == 0
    parts = build_bot(make_settings(tmp_path, NEWSDESK_EMBEDDING_BACKEND="onnx-int8"))
    answerer = parts.service.setup.extractive
    assert isinstance(answerer, ExtractiveAnswerer)
    for_sentences = answerer.embeddings
    assert for_sentences.identity == "all-MiniLM-L6-v2/onnx"
    real, calls = for_sentences.model, []

    class Recording:
        def encode(self, texts: list[str], **options: Any) -> Any:
            calls.append(list(texts))
            return real.encode(texts, **options)

    for_sentences._model = Recording()  # the real fp32 model, recording what it is asked
    steps = StepTimes()
    question = "who controls Qairawan?"
    outcome = parts.service.chain.invoke(
        {"question": question, "history": [], "as_of": None}, {"callbacks": [steps]}
    )
    assert not outcome.answer.refused and "[1]" in outcome.answer.answer
    assert [call for call in calls if question in call] == [[question]]
    assert len(calls) == 2 and calls[1], "then the sentences, in one call of their own"
    retrieve, warm = steps.runs["retrieve"], steps.runs["warm_answerer"]
    assert retrieve.parent == warm.parent, "two branches of one parallel step"
    assert warm.started < retrieve.ended and retrieve.started < warm.ended


@dataclass
class StepRun:
    parent: UUID | None
    started: int
    ended: int = -1


class StepTimes(BaseCallbackHandler):
    """The order in which the chain's steps start and end, by name."""

    def __init__(self) -> None:
        self.runs: dict[str, StepRun] = {}
        self._names: dict[UUID, str] = {}
        self._events = itertools.count()
        self._lock = threading.Lock()

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        with self._lock:
            name = str(kwargs.get("name") or "")
            self._names[run_id] = name
            self.runs[name] = StepRun(parent_run_id, next(self._events))

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            self.runs[self._names[run_id]].ended = next(self._events)


def test_a_model_loaded_in_the_background_is_the_one_its_first_use_gets(
    models_dir: Path, tmp_path: Path
) -> None:
    """`load_in_background` (a one-off question loads its models while the answer chain's
    modules import): the first use waits for that load and gets the same vectors; a load that
    failed in the thread is tried again at the first use, which raises with its message."""
    eager = make_embeddings(backend="onnx-int8", cache_dir=models_dir)
    background = make_embeddings(backend="onnx-int8", cache_dir=models_dir, lazy=True)
    background.load_in_background()
    background.load_in_background()  # twice, as two callers might: still one model
    vectors = background.embed_documents(TEXTS)
    assert background.loaded
    assert np.abs(np.asarray(vectors) - np.asarray(eager.embed_documents(TEXTS))).max() < 1e-6
    loaded_model = background.model
    background.load_in_background()  # once loaded: nothing to do
    assert background.model is loaded_model

    folder = tmp_path / "model"
    shutil.copytree(bundled_model_path(), folder)
    pooling = folder / "1_Pooling" / "config.json"
    pooling.write_text(
        json.dumps({**json.loads(pooling.read_text()), "pooling_mode_mean_tokens": False})
    )
    broken = make_embeddings(str(folder), backend="onnx", cache_dir=tmp_path / "cache", lazy=True)
    broken.load_in_background()
    with pytest.raises(OnnxExportError, match="NEWSDESK_EMBEDDING_BACKEND=torch"):
        broken.embed_query("who controls Qairawan?")
    assert not broken.loaded


def test_both_models_loaded_in_the_background_on_a_home_without_exports(tmp_path: Path) -> None:
    """A one-off question on a home without the exports loads both models in threads: their
    two exports, made at once in one process, are made one at a time (torch's exporter keeps
    process-wide state), and both vectors are right."""
    int8 = make_embeddings(backend="onnx-int8", cache_dir=tmp_path, lazy=True)
    fp32 = make_embeddings(backend="onnx", cache_dir=tmp_path, lazy=True)
    int8.load_in_background()
    fp32.load_in_background()
    vectors = [int8.embed_query(TEXTS[0]), fp32.embed_query(TEXTS[0])]
    assert cosines([vectors[0]], [vectors[1]]).min() > 0.97
    assert sorted(p.name.split("-")[-2] for p in tmp_path.glob("model-*")) == ["fp32", "int8"]
