"""Optional reranking of the fused candidates with a sentence-transformers CrossEncoder.

Off by default: no cross-encoder ships offline. Set NEWSDESK_RERANKER to a local model folder
(or a model name already in the Hugging Face cache) to turn it on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from index.embeddings import import_torch_extra, load_offline
from index.errors import NewsdeskError

if TYPE_CHECKING:
    from langchain_core.documents import Document


class RerankerError(NewsdeskError):
    """The configured reranker can't be loaded; the message says what to change."""


class CrossEncoderReranker:
    """Orders passages by the cross-encoder's score for (question, passage)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, question: str, documents: list[Document]) -> list[Document]:
        if len(documents) < 2:
            return documents
        scores = self.model.predict(
            [(question, d.page_content) for d in documents], show_progress_bar=False
        )
        order = sorted(range(len(documents)), key=lambda i: float(scores[i]), reverse=True)
        return [documents[i] for i in order]


def make_reranker(name: str) -> CrossEncoderReranker:
    CrossEncoder = import_torch_extra(
        "sentence_transformers", "the reranker (NEWSDESK_RERANKER)", RerankerError
    ).CrossEncoder
    model = load_offline(
        lambda: CrossEncoder(name, device="cpu", local_files_only=True),
        f"could not load reranker {name!r}",
        "give NEWSDESK_RERANKER a local cross-encoder folder or a model already in the Hugging "
        "Face cache, or leave it empty to turn reranking off",
        RerankerError,
    )
    return CrossEncoderReranker(model)
