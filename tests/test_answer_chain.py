"""`answer_chain`, the one Runnable: one trace per question with the chat id and prompt
version, `as_of` in the input and filtered once (by our retriever itself, else by the chain),
any BaseRetriever (with the default relevance), and the prompt an admin publishes driving the
next answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tracers.context import collect_runs
from langchain_core.tracers.schemas import Run

from bot.answering.chain import QuestionError
from bot.answering.chain_states import AnswerInput
from bot.answering.prompts import MemoryPromptStore, PromptLibrary
from bot.answering.service import AnswerService
from bot.settings import SHIPPED_PROMPTS_DIR
from bot.wiring.bot import BotServices
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.support.fakes import RecordingChatModel
from tests.test_retrieval import dated, indexed

Q = "who controls Qairawan?"


class ListRetriever(BaseRetriever):
    """A foreign retriever: plain documents, no `relevance`, knows nothing of `as_of`."""

    documents: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return list(self.documents)


FOREIGN = [
    Document(
        page_content="Qairawan is controlled by the PMU, which liberated it last week.",
        metadata={"title": "Qairawan liberated", "published": "2017-05-26"},
    ),
    Document(
        page_content="Later reporting: the PMU still controls Qairawan.",
        metadata={"title": "Still held", "published": "2017-07-01"},
    ),
    Document(page_content="Bread prices rose in Baghdad.", metadata={"title": "Prices"}),
]


def with_setup(service: AnswerService, **changes: object) -> AnswerService:
    return AnswerService(service.store, replace(service.setup, **changes))  # type: ignore[arg-type]


def names(run: Run) -> list[str]:
    return [run.name] + [name for child in run.child_runs for name in names(child)]


def test_one_question_is_one_trace_with_the_chat_and_prompt_version(seed_bot: BotServices) -> None:
    model = RecordingChatModel(responses=["The PMU controls Qairawan [1]."])
    service = with_setup(seed_bot.service, chat_model=model)
    with collect_runs() as runs:
        answer = service.answer(Q, history=[("who is the mayor?", "Jabouri [1].")], chat_id=77)
    assert answer.answer == "The PMU controls Qairawan [1]."
    (root,) = runs.traced_runs
    assert root.name == "newsdesk.answer"
    assert root.extra["metadata"]["chat_id"] == 77
    assert root.extra["metadata"]["prompt_version"].startswith("answer v")
    steps = names(root)
    for step in ("condense", "retrieve", "refusal_gate", "answer_prompt", "claim_check"):
        assert step in steps, steps
    assert steps.count("RecordingChatModel") == 2, "condense and answer: children, not roots"
    assert "ChunkRetriever" in steps


def test_without_an_llm_the_same_chain_answers_extractively(seed_bot: BotServices) -> None:
    with collect_runs() as runs:
        answer = seed_bot.service.answer(Q)
    (root,) = runs.traced_runs
    assert "extractive" in names(root) and "[1]" in answer.answer
    assert root.extra["metadata"]["prompt_version"] == "extractive (no LLM)"


def test_a_foreign_retriever_works_with_the_default_relevance(seed_bot: BotServices) -> None:
    service = with_setup(seed_bot.service, retriever=ListRetriever(documents=FOREIGN))
    answer, passages = service.answer_with_passages(Q)
    assert passages[0].metadata["relevance"] > 0.48 > passages[2].metadata["relevance"]
    assert not answer.refused and "Qairawan" in answer.answer
    assert {c.title for c in answer.citations} <= {"Qairawan liberated", "Still held"}
    refused = service.answer("Which country won the 1950 football World Cup?")
    assert refused.refused, "the default relevance still gates the irrelevant"


def test_a_foreign_retrievers_passages_are_left_out_after_as_of(seed_bot: BotServices) -> None:
    service = with_setup(seed_bot.service, retriever=ListRetriever(documents=FOREIGN))
    outcome = service.chain.invoke({"question": Q, "as_of": date(2017, 6, 1)})
    titles = [d.metadata["title"] for d in outcome.passages]
    assert titles == ["Qairawan liberated", "Prices"], "the later article is left out"


def test_our_retriever_is_given_as_of_and_fills_its_k_with_what_had_been_written(
    seed_bot: BotServices,
    fresh_store: ArticleStore,
    tmp_path: Path,
    embeddings: SentenceTransformerEmbeddings,
) -> None:
    """k=1 and the newer report the better match: were the future left out after ranking,
    as of a day between the two nothing would be left."""
    old = Article(
        key="old",
        title="Prices",
        text="Bread prices rose in the markets of Qairawan this week, traders said.",
        published="2023-01-02",
    )
    retriever = indexed(fresh_store, tmp_path, embeddings, old, dated("new", "2023-02-20"))
    service = with_setup(seed_bot.service, retriever=retriever.model_copy(update={"k": 1}))

    def found(request: AnswerInput) -> list[str]:
        return [d.metadata["article_key"] for d in service.chain.invoke(request).passages]

    assert found({"question": Q}) == ["new"]
    assert found({"question": Q, "as_of": date(2023, 1, 3)}) == ["old"]


def test_a_published_prompt_drives_the_next_answer(seed_bot: BotServices, tmp_path: Path) -> None:
    prompts = PromptLibrary(SHIPPED_PROMPTS_DIR, MemoryPromptStore())
    model = RecordingChatModel(responses=["The PMU controls Qairawan [1]."] * 2)
    service = with_setup(seed_bot.service, chat_model=model, prompts=prompts)
    service.answer(Q)
    rules = "Answer in the voice of a wire reporter, citing [n] after each claim."
    prompts.publish("answer", f"{rules}\n\nPassages:\n{{passages}}\n\nQuestion: {{question}}", "ed")
    service.answer(Q)
    assert rules not in model.prompts[0] and model.prompts[1].startswith(rules)
    assert service.prompt_version() == "answer v2"


@pytest.mark.parametrize("question", ["", " \x00\x07 ", "x" * 5000])
def test_a_bad_question_is_one_clear_error(seed_bot: BotServices, question: str) -> None:
    with pytest.raises(QuestionError, match=r"text|characters"):
        seed_bot.service.answer(question)
