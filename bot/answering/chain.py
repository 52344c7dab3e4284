"""`answer_chain`: the one LangChain Runnable every front end answers with.

    clean -> condense -> retrieve (beside it: warm the answerer) -> refusal gate -> refuse
                                                  | prompt | chat model | parser | claim check
                                                  | extractive answerer

Input: {"question": str, "history": [(question, answer), ...], "as_of": date | None}; `as_of`
may instead travel in the config, as `configurable={"as_of": date}`. Output: an
`AnswerOutcome`, the Answer and every passage retrieved. The chain's run is named
"newsdesk.answer", so with LangSmith tracing on one question is one trace; the caller adds
the chat id and prompt version to its metadata (see `AnswerService.run_config`).

The pieces are swappable: any LangChain `BaseRetriever` (with `as_of`, passages published
more than a day after it are left out whichever retriever found them) and any
`BaseChatModel`. A passage without a `relevance` in its metadata, as any foreign
retriever's, gets the default one: the
formula of `relevance.py` (cosine similarity with the question + 0.5 × word overlap), its
cosine from the chain's embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import (
    Runnable,
    RunnableBranch,
    RunnableConfig,
    RunnableLambda,
    RunnablePassthrough,
    ensure_config,
)

from bot.answering.answers import Answer
from bot.answering.followups import heuristic_rewrite
from bot.answering.llm import answer_from_reply, format_passages, guarded
from bot.answering.prompts import PromptLibrary, chat_prompt
from bot.answering.relevance import cosine, relevance
from bot.answering.retrieval_steps import FUTURE_SLACK_DAYS, day_number
from index.errors import NewsdeskError
from index.text import content_words

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel
    from langchain_core.retrievers import BaseRetriever

Answerer = Callable[[str, list[Document]], Answer]
RUN_NAME = "newsdesk.answer"
ANSWER_TAG = "newsdesk:llm_answer"  # on the LLM answer step's runs, whose tokens are streamed
MAX_CONDENSED_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class QuestionError(NewsdeskError):
    """The question can't be asked as it is; the message is shown to the user."""


class AnswerInput(TypedDict, total=False):
    question: str
    history: Sequence[tuple[str, str]]
    as_of: date | None


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Answer
    # Every passage retrieved (the retriever may fetch more than the top k the answer is
    # built from, as `newsdesk eval` does to measure Hit@10).
    passages: list[Document] = field(default_factory=list)


@dataclass(frozen=True)
class ChainSetup:
    """What the answer chain is built from, once."""

    retriever: BaseRetriever
    extractive: Answerer
    prompts: PromptLibrary
    min_relevance: float
    max_question_chars: int
    top_k: int
    chat_model: BaseChatModel | None = None
    embeddings: Embeddings | None = None
    # Misspelled names spelled as the articles spell them (spelling.py); None: as asked.
    spelling: Callable[[str], str] | None = None
    # Run beside retrieval with the question, on the core retrieval leaves idle: the
    # extractive answerer's own embedding of it, when that is another model than retrieval's
    # (fp32 sentences over int8 chunks), so the answer finds it ready. None: nothing to warm.
    warm: Callable[[str], object] | None = None


def clean_question(question: str, max_chars: int) -> str:
    question = " ".join(_CONTROL.sub(" ", question).split())
    if not question:
        raise QuestionError("Please send your question as text.")
    if len(question) > max_chars:
        raise QuestionError(
            f"That question is {len(question):,} characters long; please keep it under "
            f"{max_chars:,} characters."
        )
    return question


def as_of_from(state: dict[str, Any], config: RunnableConfig) -> date | None:
    """`as_of` from the input, else from the config's `configurable`."""
    given = state.get("as_of") or (config.get("configurable") or {}).get("as_of")
    return given if isinstance(given, date) else None


def published_by(documents: list[Document], as_of: date | None) -> list[Document]:
    """Passages published by `as_of`, with the day of slack our retriever allows (undated
    ones are kept): the same rule for any retriever."""
    if as_of is None:
        return documents
    latest = as_of.toordinal() + FUTURE_SLACK_DAYS
    days = [day_number(str(doc.metadata.get("published") or "")) for doc in documents]
    return [doc for doc, day in zip(documents, days, strict=True) if (day or 0) <= latest]


def make_answer_chain(setup: ChainSetup) -> Runnable[AnswerInput, AnswerOutcome]:
    """The answering path as one Runnable (see the module's docstring)."""

    def clean(state: AnswerInput, config: RunnableConfig) -> dict[str, Any]:
        question = clean_question(str(state.get("question") or ""), setup.max_question_chars)
        history = list(state.get("history") or [])
        return {"question": question, "history": history, "as_of": as_of_from(dict(state), config)}

    def condense(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        """The one place the question is rewritten before retrieval: a follow-up made to
        stand on its own (with the LLM and `prompts/condense.txt`, else the heuristic), and
        misspelled names spelled as the articles spell them."""
        understood = rewrite(setup, state, config)
        if setup.spelling is not None:
            understood = setup.spelling(understood)
        return {**state, "understood_as": understood}

    def retrieve(state: dict[str, Any], config: RunnableConfig) -> list[Document]:
        as_of = state["as_of"]
        configurable = {**(config.get("configurable") or {}), "as_of": as_of}
        found = setup.retriever.invoke(
            state["understood_as"], {**config, "configurable": configurable}
        )
        return published_by(found, as_of)

    def warm(state: dict[str, Any]) -> bool:
        if setup.warm is not None and setup.chat_model is None:
            setup.warm(state["understood_as"])
            return True
        return False

    def gate(state: dict[str, Any]) -> dict[str, Any]:
        passages, question = state["passages"], state["understood_as"]
        top = [with_relevance(setup, question, doc) for doc in passages[: setup.top_k]]
        relevant = [doc for doc in top if doc.metadata["relevance"] >= setup.min_relevance]
        return {**state, "passages": top + passages[setup.top_k :], "relevant": relevant}

    def refuse(state: dict[str, Any]) -> AnswerOutcome:
        answer = Answer(state["question"], setup.prompts.render("refusal"), refused=True)
        return finish(state, answer)

    def extractive(state: dict[str, Any]) -> AnswerOutcome:
        return finish(state, setup.extractive(state["understood_as"], state["relevant"]))

    branches: list[Any] = [(lambda state: not state["relevant"], RunnableLambda(refuse))]
    if setup.chat_model is not None:
        branches.append((lambda _: True, llm_answer_chain(setup)))
    branch = RunnableBranch(*branches, RunnableLambda(extractive, name="extractive"))
    chain = (
        RunnableLambda(clean, name="clean")
        | RunnableLambda(condense, name="condense")
        # Both steps run side by side (a RunnableParallel under assign).
        | RunnablePassthrough.assign(
            passages=RunnableLambda(retrieve, name="retrieve"),
            warmed=RunnableLambda(warm, name="warm_answerer"),
        )
        | RunnableLambda(gate, name="refusal_gate")
        | branch
    )
    return chain.with_config(run_name=RUN_NAME)


def finish(state: dict[str, Any], answer: Answer) -> AnswerOutcome:
    """The answer to the question as asked, saying how it was understood if rewritten."""
    understood = state["understood_as"] if state["understood_as"] != state["question"] else ""
    answer = replace(answer, question=state["question"], understood_as=understood)
    return AnswerOutcome(answer, state["passages"])


def llm_answer_chain(setup: ChainSetup) -> Runnable[dict[str, Any], AnswerOutcome]:
    """prompt (the live `answer` template) | chat model | parser | citation and claim check."""
    assert setup.chat_model is not None
    model = guarded(setup.chat_model)

    def prompt_values(state: dict[str, Any], config: RunnableConfig) -> Any:
        template = chat_prompt(setup.prompts.template("answer"))
        values = {
            "question": state["understood_as"],
            "passages": format_passages(state["relevant"]),
        }
        return template.invoke(values, config)

    def check(state: dict[str, Any]) -> AnswerOutcome:
        answer = answer_from_reply(
            state["reply"], state["understood_as"], state["relevant"], setup.prompts
        )
        return finish(state, answer)

    generate = RunnableLambda(prompt_values, name="answer_prompt") | model | StrOutputParser()
    return (
        RunnablePassthrough.assign(reply=generate) | RunnableLambda(check, name="claim_check")
    ).with_config(run_name="llm_answer", tags=[ANSWER_TAG])


def rewrite(setup: ChainSetup, state: dict[str, Any], config: RunnableConfig) -> str:
    """The question as it should be retrieved for: unchanged unless it is a follow-up."""
    question, history = state["question"], state["history"]
    if not history:
        return str(question)
    if setup.chat_model is None:
        return heuristic_rewrite(question, history)
    template = chat_prompt(setup.prompts.template("condense"))
    lines = "\n".join(f"Reader: {q}\nBot: {a}" for q, a in history)
    chain = template | guarded(setup.chat_model) | StrOutputParser()
    reply = chain.invoke({"history": lines, "question": question}, ensure_config(config))
    first = reply.strip().splitlines()[0].strip() if reply.strip() else ""
    return first[:MAX_CONDENSED_CHARS] or str(question)


def with_relevance(setup: ChainSetup, question: str, document: Document) -> Document:
    """The document with a `relevance`: its own, else the documented default."""
    if isinstance(document.metadata.get("relevance"), int | float):
        return document
    similarity = 0.0
    if setup.embeddings is not None:
        query = setup.embeddings.embed_query(question)
        similarity = cosine(query, setup.embeddings.embed_documents([document.page_content])[0])
    score = relevance(similarity, content_words(question), document.page_content)
    metadata = {"similarity": similarity, **document.metadata, "relevance": score}
    return Document(page_content=document.page_content, metadata=metadata)
