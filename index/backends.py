"""The embedding models and backends by name: what the command line and the settings offer,
importable without the embeddings themselves (LangChain, ONNX Runtime), so that
`newsdesk --help` starts at once."""

from __future__ import annotations

BUNDLED_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")
# The backend of a new index: int8 (7-bit weights, one single-thread run per core) embeds
# chunks 2.7 times as fast as torch and kept Hit@4 within 0.01 on both benches (dev 0.679 as
# torch, val 0.476 against 0.484; BENCHMARKS.md, "The default: int8 with 7-bit weights").
# The answerer still embeds its sentences in fp32 (bot.wiring.answering.sentence_embeddings).
DEFAULT_BACKEND = "onnx-int8"
# torch and ONNX fp32 compute the same vectors (cosine 0.9999999 to each other, BENCHMARKS.md,
# "Embedding backends"), so a store made by either is searched and extended by the other.
SAME_VECTORS = frozenset({"torch", "onnx"})
