"""Reranking with a real sentence-transformers CrossEncoder built from a tiny random model."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.rerank import RerankerError, make_reranker
from bot.answering.retrieval import ChunkRetriever
from bot.wiring.answering import build_answering
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import make_settings

WORDS = ["qairawan", "controls", "who", "the", "pmu", "troops", "bridge", "iraq", "mosul"]


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BERT with one layer of 8 units and random weights: a fake for any real reranker."""
    import torch
    from transformers import (  # type: ignore[attr-defined]
        BertConfig,
        BertForSequenceClassification,
        BertTokenizerFast,
    )

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    torch.manual_seed(7)
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=len(WORDS) + 5, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
        intermediate_size=16, max_position_embeddings=512, num_labels=1,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


def test_passages_come_back_in_the_cross_encoders_order(
    tiny_cross_encoder: Path,
    seed_home: Path,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
) -> None:
    settings = make_settings(seed_home, NEWSDESK_RERANKER=str(tiny_cross_encoder))
    retriever = build_answering(settings, store=seed_store, embeddings=embeddings).service.retriever
    assert isinstance(retriever, ChunkRetriever) and retriever.reranker is not None
    question = "who controls Qairawan?"
    # Chunks alone: the seed article has too few for many passages of three to rerank.
    retriever.neighbours = 0
    documents = retriever.invoke(question)
    assert len(documents) == settings.top_k

    model = retriever.reranker.model  # type: ignore[attr-defined]
    plain = build_answering(
        make_settings(seed_home), store=seed_store, embeddings=embeddings, retrieve_k=20
    ).service.retriever
    assert isinstance(plain, ChunkRetriever)
    plain.neighbours = 0
    candidates = plain.invoke(question)
    # The reranker scores the found chunks; each is widened to its passage afterwards.
    scores = model.predict([(question, d.metadata["text"]) for d in candidates])
    expected = [candidates[i].metadata["id"] for i in sorted(
        range(len(candidates)), key=lambda i: float(scores[i]), reverse=True
    )][: settings.top_k]  # fmt: skip
    assert [d.metadata["id"] for d in documents] == expected
    unranked = [d.metadata["id"] for d in candidates[: settings.top_k]]
    assert expected != unranked, "the reranker really changed the order"


def test_a_missing_reranker_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RerankerError, match="NEWSDESK_RERANKER"):
        make_reranker(str(tmp_path / "no-model"))
