"""Retrieval as a LangChain retriever over our Chroma store."""

from __future__ import annotations

from dataclasses import asdict

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.answers import content_words, word_overlap
from index.chunking import Chunk
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore

# Relevance = cosine similarity + LEXICAL_WEIGHT * (share of the question's words in the
# passage). The embedding alone blurs names: against the seed article "population of Baghdad"
# scores higher (0.41, via "al-Baghdadi") than "who controls Qairawan" (0.30), which names a
# place the article reports on. Weight and floor are calibrated in bench/calibrate_floor.py.
LEXICAL_WEIGHT = 0.5
CANDIDATES_PER_RESULT = 5


class ChunkRetriever(BaseRetriever):
    """The k most relevant chunks: dense candidates from Chroma, re-ordered by relevance. Each
    Document's metadata carries the chunk's fields, its cosine `similarity` to the question
    and its `relevance`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ArticleStore
    embeddings: SentenceTransformerEmbeddings
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = self.embeddings.embed_query(query)
        wanted = content_words(query)
        documents = []
        for hit in self.store.search(vector, self.k * CANDIDATES_PER_RESULT):
            relevance = hit.similarity + LEXICAL_WEIGHT * word_overlap(wanted, hit.chunk.text)
            metadata = {**asdict(hit.chunk), "similarity": hit.similarity, "relevance": relevance}
            documents.append(Document(page_content=hit.chunk.text, metadata=metadata))
        documents.sort(key=lambda document: document.metadata["relevance"], reverse=True)
        return documents[: self.k]


def chunk_of(document: Document) -> Chunk:
    """The chunk a retrieved Document was made from."""
    fields = {name: document.metadata[name] for name in Chunk.__dataclass_fields__}
    return Chunk(**fields)
