"""ChunkRetriever as LangChain itself tests a retriever: `langchain-tests`' standard
integration tests, over a real Chroma store, the bundled model and a real keyword index
holding a few small articles made here."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot.answering.retrieval import ChunkRetriever
from index.articles import Article
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles

# Five one-chunk articles: more than the 3 results the standard tests ask for, each a passage
# of its own.
TOWNS = ["Qairawan", "Tal Sufouq", "Sinjar", "Hatra", "Baaj"]


def report(n: int, town: str) -> Article:
    return Article(
        key=f"report-{n}",
        title=f"Report from {town}",
        text=f"The militia that controls {town} said the road to the river is open again.",
        published=f"2023-02-{10 + n:02d}",
    )


@pytest.fixture(scope="module")
def retriever_params(
    tmp_path_factory: pytest.TempPathFactory, embeddings: SentenceTransformerEmbeddings
) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("standard-retriever")
    store = open_store("standard-articles", path=home / "chroma")
    keyword = KeywordIndex(home / "keyword")
    articles = [report(n, town) for n, town in enumerate(TOWNS)]
    index_articles(articles, store, embeddings, keyword=keyword.sync)
    return {"store": store, "embeddings": embeddings, "keyword": keyword.search, "k": 2}


class TestChunkRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _indexed(self, retriever_params: dict[str, Any]) -> None:
        # The standard tests read the constructor's parameters from a property, so the
        # module's store is handed to this instance before each test.
        self.params = retriever_params

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return ChunkRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return self.params

    @property
    def retriever_query_example(self) -> str:
        return "who controls Qairawan?"
