"""The textbook LangChain pipeline that `newsdesk eval --baseline` measures newsdesk against,
indexed and queried in the same run."""

from __future__ import annotations

import hashlib
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


def build_textbook_store(
    articles: list[Article], work: Path, say: Say, *, reuse: bool = False
) -> tuple[Any, int, float]:
    """The textbook LangChain indexing: RecursiveCharacterTextSplitter 1000/200,
    all-MiniLM-L6-v2 through HuggingFaceEmbeddings, Chroma.from_documents. Returns the
    LangChain Chroma store, its chunk count and the seconds from_documents took (0 when
    `reuse` found a complete store built from the same articles in `work`)."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # One folder per article set: Chroma keeps a client per path open for the life of the
    # process, so a folder it has opened can't be deleted and rebuilt under it.
    wanted = _fingerprint(articles)
    folder = work / "textbook" / wanted[:16]
    marker = folder / "complete"
    embedding = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
    settings = ChromaSettings(anonymized_telemetry=False, is_persistent=True)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = splitter.split_documents(
        [Document(page_content=a.text, metadata={"title": a.title}) for a in articles]
    )
    if reuse and marker.is_file() and marker.read_text() == wanted:
        say(f"textbook baseline: reusing its {len(documents):,} chunks in {folder}")
        store = Chroma(
            collection_name="textbook",
            embedding_function=embedding,
            persist_directory=str(folder),
            client_settings=settings,
        )
        return store, len(documents), 0.0
    # from_documents adds to an existing collection: start from an empty folder. The marker
    # is written last, so a run stopped halfway is rebuilt, never reused.
    shutil.rmtree(work / "textbook", ignore_errors=True)
    say(f"textbook baseline: embedding {len(documents):,} chunks")
    started = time.perf_counter()
    store = Chroma.from_documents(
        documents,
        embedding,
        collection_name="textbook",
        persist_directory=str(folder),
        client_settings=settings,
    )
    seconds = time.perf_counter() - started
    marker.write_text(wanted)
    say(f"  indexed in {seconds:.0f} s")
    return store, len(documents), seconds


def _fingerprint(articles: list[Article]) -> str:
    """What the textbook store was built from: every article's title and text, in order."""
    digest = hashlib.sha256()
    for article in articles:
        digest.update(article.title.encode() + b"\0" + article.text.encode() + b"\0")
    return digest.hexdigest()


def run_baseline(
    articles: list[Article], questions: list[Question], work: Path, say: Say
) -> tuple[RetrievalFigures, int]:
    """The textbook pipeline's retrieval: `similarity_search` over `build_textbook_store`,
    reused from an earlier run in `work` (`--store`) when built from the same articles."""
    store, count, _ = build_textbook_store(articles, work, say, reuse=True)
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
