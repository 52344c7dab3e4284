"""The textbook LangChain pipeline that `newsdesk eval --baseline` measures newsdesk against,
indexed and queried in the same run."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bot.evaluation.bench import Question
from bot.evaluation.figures import RetrievalFigures, Say, figures
from bot.evaluation.metrics import first_hit_rank
from index.articles import Article
from index.embeddings import bundled_model_path

RETRIEVE_K = 10


def build_textbook_store(articles: list[Article], work: Path, say: Say) -> tuple[Any, int, float]:
    """The textbook LangChain indexing: RecursiveCharacterTextSplitter 1000/200,
    all-MiniLM-L6-v2 through HuggingFaceEmbeddings, Chroma.from_documents. Returns the
    LangChain Chroma store, its chunk count and the seconds from_documents took."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # from_documents adds to an existing collection: start from an empty folder every run.
    shutil.rmtree(work / "textbook", ignore_errors=True)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = splitter.split_documents(
        [Document(page_content=a.text, metadata={"title": a.title}) for a in articles]
    )
    say(f"textbook baseline: embedding {len(documents):,} chunks")
    embedding = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
    started = time.perf_counter()
    store = Chroma.from_documents(
        documents,
        embedding,
        collection_name="textbook",
        persist_directory=str(work / "textbook"),
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    seconds = time.perf_counter() - started
    say(f"  indexed in {seconds:.0f} s")
    return store, len(documents), seconds


def run_baseline(
    articles: list[Article], questions: list[Question], work: Path, say: Say
) -> tuple[RetrievalFigures, int]:
    """The textbook pipeline's retrieval: `similarity_search` over `build_textbook_store`."""
    store, count, _ = build_textbook_store(articles, work, say)
    ranks: list[int | None] = []
    latencies: list[float] = []
    lengths: list[int] = []
    for q in questions:
        started = time.perf_counter()
        found = store.similarity_search(q.question, k=RETRIEVE_K)
        latencies.append(time.perf_counter() - started)
        lengths.extend(len(d.page_content) for d in found[:4])
        if q.answer_in_corpus:
            ranks.append(first_hit_rank(q.answer, [d.page_content for d in found]))
    return figures(ranks, latencies, lengths), count
