"""`answer_chain`: the one LangChain Runnable every front end answers with.

    clean -> condense -> retrieve (beside it: warm the answerer) -> refusal gate -> refuse
                                                  | prompt | chat model | parser | claim check
                                                  | extractive answerer

Each step is a function of this module, given the `ChainSetup` and the state the step before
it made, one type a step (chain_states.py): `AnswerInput` -> `Asked` -> `Understood` ->
`Retrieved` (`Found`, beside the warmed answerer) -> `Gated` -> `AnswerOutcome`.

Input: `AnswerInput`, {"question": str, "history": [(question, answer), ...], "as_of": date |
None}. It is the one way `as_of` comes in; the retrieve step hands it to the retriever once.
Output: an `AnswerOutcome`, the Answer and every passage retrieved. The chain's run is named
"newsdesk.answer", so with LangSmith tracing on one question is one trace; the caller adds
the chat id and prompt version to its metadata (see `AnswerService.run_config`).

The pieces are swappable: any LangChain `BaseRetriever` and any `BaseChatModel`. With `as_of`,
passages published more than a day after it are left out, once: by `ChunkRetriever` itself,
before it ranks (so the k it returns are all eligible), and by the retrieve step for any
other retriever, which knows nothing of dates. A passage without a `relevance` in its
metadata, as any foreign retriever's, gets the default one: the formula of `relevance.py`
(cosine similarity with the question + 0.5 × word overlap), its cosine from the chain's
embeddings.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import (
    Runnable,
    RunnableBranch,
    RunnableConfig,
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
    ensure_config,
)

from bot.answering.answers import Answer
from bot.answering.chain_states import (
    AnswerInput,
    AnswerOutcome,
    Asked,
    ChainSetup,
    Found,
    Gated,
    Replied,
    Retrieved,
    Understood,
    carried,
)
from bot.answering.dated import dated_if_outside, dated_if_stale, when_asked
from bot.answering.followups import heuristic_rewrite
from bot.answering.language_offline import (
    as_retrieved_offline,
    names_found,
    names_note,
    offline_reply,
)
from bot.answering.llm import answer_from_reply, format_passages, guarded
from bot.answering.prompts import chat_prompt, placeholders_in
from bot.answering.relevance import cosine, relevance
from bot.answering.retrieval import ChunkRetriever
from bot.answering.retrieval_steps import day_number, written_by
from bot.answering.time_window import TimeWindow, window_in
from index.collections import collection_of
from index.errors import NewsdeskError
from index.text import content_words

RUN_NAME = "newsdesk.answer"
ANSWER_TAG = "newsdesk:llm_answer"  # on the LLM answer step's runs, whose tokens are streamed
MAX_CONDENSED_CHARS = 500
# For a question in another language than English (language.py): it is retrieved for in
# English, and answered in its own language. Said in code, whatever the live prompts say.
IN_ENGLISH = (
    "The reader may ask in any language: write the standalone question in English, keeping "
    "each name in Latin letters exactly as the reader wrote it."
)
ANSWER_IN = (
    "Write the answer in {language}, the reader's language. Write the short answer, every "
    "name and every quote exactly as the passages write them, in the passages' language."
)
NO_HISTORY = "(none: this is the reader's first question)"
# Said after a refusal to a question given dates (bot/telegram/answer_words.py says it again
# in the reader's language).
ONLY_SEARCHED = "(Only articles published {span} were searched.)"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class QuestionError(NewsdeskError):
    """The question can't be asked as it is; the message is shown to the user."""


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


def published_by(documents: list[Document], as_of: date | None) -> list[Document]:
    """Passages published by `as_of` (`written_by`'s rule, ChunkRetriever's own)."""
    if as_of is None:
        return documents
    day = as_of.toordinal()
    return [
        doc
        for doc in documents
        if written_by(day_number(str(doc.metadata.get("published") or "")), day)
    ]


def clean(setup: ChainSetup, given: AnswerInput) -> Asked:
    question = clean_question(str(given.get("question") or ""), setup.max_question_chars)
    history = tuple(given.get("history") or ())
    window, language = given.get("window"), setup.detect(question)
    scope = given.get("collections")
    return Asked(question, history, given.get("as_of"), window, language=language, scope=scope)


def condense(setup: ChainSetup, asked: Asked, config: RunnableConfig) -> Understood:
    """The one place the question is rewritten before retrieval: a follow-up made to stand on
    its own (with the LLM and `prompts/condense.txt`, else the heuristic), and misspelled
    names spelled as the articles spell them."""
    understood = rewrite(setup, asked, config)
    if setup.spelling is not None:
        understood = setup.spelling(understood)
    window = asked.given_window or window_in(understood, asked.as_of or date.today())
    return Understood(**carried(asked), understood_as=understood, window=window)


def rewrite(setup: ChainSetup, asked: Asked, config: RunnableConfig) -> str:
    """The question as it should be retrieved for: unchanged unless it is a follow-up, or, with
    no LLM, in another language (its question word in English: language_offline.py)."""
    question, history = asked.question, asked.history
    if setup.chat_model is None:
        if asked.foreign:
            question = as_retrieved_offline(question, asked.language)
        return heuristic_rewrite(question, history) if history else question
    if not history and not asked.foreign:
        return question
    text = setup.prompts.template("condense")
    if asked.foreign:  # said in code too: a condense prompt published before may not say it
        text = with_rule(text, IN_ENGLISH)
    lines = "\n".join(f"Reader: {q}\nBot: {a}" for q, a in history) or NO_HISTORY
    chain = chat_prompt(text) | guarded(setup.chat_model) | StrOutputParser()
    reply = chain.invoke({"history": lines, "question": question}, ensure_config(config))
    first = reply.strip().splitlines()[0].strip() if reply.strip() else ""
    return first[:MAX_CONDENSED_CHARS] or question


def retrieve(setup: ChainSetup, state: Understood, config: RunnableConfig) -> Retrieved:
    """The retriever's passages, none published after `as_of` and none outside the scope's
    collections: ours leaves them out itself before ranking; any other is filtered here."""
    question, retriever, window = state.understood_as, setup.retriever, state.window
    if isinstance(retriever, ChunkRetriever):
        found = retriever.invoke(
            question, config, as_of=state.as_of, window=window, collections=state.scope
        )
    else:
        found = published_by(retriever.invoke(question, config), state.as_of)
        if state.scope is not None:
            found = [doc for doc in found if collection_of(doc.metadata) in state.scope]
        if window is not None and window.hard:
            found = [doc for doc in found if _published_within(doc, window)]
    return Retrieved(**carried(state), passages=found)


def warm_answerer(setup: ChainSetup, state: Understood) -> bool:
    if setup.warm is not None and setup.chat_model is None:
        setup.warm(state.understood_as)
        return True
    return False


def refusal_gate(setup: ChainSetup, found: Found) -> Gated:
    """The top k passages with a relevance each, and those reaching the floor."""
    retrieved = found["retrieved"]
    passages, question = retrieved.passages, retrieved.understood_as
    top = [with_relevance(setup, question, doc) for doc in passages[: setup.top_k]]
    relevant = [doc for doc in top if doc.metadata["relevance"] >= setup.min_relevance]
    if setup.chat_model is None and retrieved.foreign:  # read through its names alone
        relevant = [doc for doc in relevant if names_found(retrieved.question, doc.page_content)]
    kept = replace(retrieved, passages=top + passages[setup.top_k :])
    return Gated(**carried(kept), relevant=relevant)


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


def _published_within(document: Document, window: TimeWindow) -> bool:
    day = day_number(str(document.metadata.get("published") or ""))
    return day is not None and window.holds(date.fromordinal(day))


def refuse(setup: ChainSetup, state: Gated) -> AnswerOutcome:
    """The refusal; offline, a question in another language is told, in it where a
    translation ships, that the articles are read in English (not that they don't cover it)."""
    if setup.chat_model is None and state.foreign:
        reply = Answer(state.question, offline_reply(state.language), refused=True)
        said = finish(setup, state, reply)  # how it was retrieved for is no use to this reader
        return replace(said, answer=replace(said.answer, understood_as=""))
    text = setup.localize(setup.prompts.render("refusal"), state.language.code)
    if state.window is not None and state.window.hard:
        text += " " + ONLY_SEARCHED.format(span=state.window.describe())
    return finish(setup, state, Answer(state.question, text, refused=True))


def answer_extractively(setup: ChainSetup, state: Gated) -> AnswerOutcome:
    answer = setup.extractive(state.understood_as, state.relevant)
    if state.foreign and not answer.refused:
        answer = replace(answer, note=names_note(state.language))
    return finish(setup, state, answer)


def finish(setup: ChainSetup, state: Gated, answer: Answer) -> AnswerOutcome:
    """The answer to the question as asked, saying how it was understood if rewritten, in
    which language it was asked, and, for a "now" or "latest" question answered from old
    reports only, how old."""
    understood = state.understood_as if state.understood_as != state.question else ""
    answer = replace(
        answer, question=state.question, understood_as=understood, language=state.language.code
    )
    window = state.window
    if window is not None and not answer.refused:
        if window.is_span and not window.hard:
            answer = dated_if_outside(answer, window)
        elif window.recent:
            answer = dated_if_stale(answer, state.as_of or date.today(), setup.stale_days)
    return AnswerOutcome(answer, state.passages)


def answer_prompt(setup: ChainSetup, state: Gated, config: RunnableConfig) -> Any:
    """The live `answer` template filled with the question (in English, with when it was
    asked), the relevant passages and the reader's language: in its {language}, or, in a
    template without one (published before it was added), in a rule of its own for a
    question not in English."""
    text = setup.prompts.template("answer")
    question = f"{state.understood_as}\n{when_asked(state.as_of, state.window)}"
    values = {"question": question, "passages": format_passages(state.relevant)}
    if "language" in placeholders_in(text):
        values["language"] = state.language.name
    elif state.foreign:
        text = with_rule(text, ANSWER_IN.format(language=state.language.name))
    return chat_prompt(text).invoke(values, config)


def with_rule(template: str, rule: str) -> str:
    """The template with `rule` as its first paragraph, so among the system message's rules
    (prompts.system_and_human); its braces are written as literal braces."""
    return f"{rule.replace('{', '{{').replace('}', '}}')}\n\n{template}"


def claim_check(setup: ChainSetup, replied: Replied) -> AnswerOutcome:
    state = replied["gated"]
    answer = answer_from_reply(
        replied["reply"], state.understood_as, state.relevant, setup.prompts, state.language
    )
    if answer.refused:  # NO_ANSWER, or no sentence held: the refusal, in the reader's language
        answer = replace(answer, answer=setup.localize(answer.answer, state.language.code))
    return finish(setup, state, answer)


def llm_answer_chain(setup: ChainSetup) -> Runnable[Gated, AnswerOutcome]:
    """prompt (the live `answer` template) | chat model | parser | citation and claim check."""
    assert setup.chat_model is not None
    prompt = RunnableLambda(partial(answer_prompt, setup), name="answer_prompt")
    generate = prompt | guarded(setup.chat_model) | StrOutputParser()
    replied = RunnableParallel(gated=RunnablePassthrough(), reply=generate)
    check = RunnableLambda(partial(claim_check, setup), name="claim_check")
    return (replied | check).with_config(run_name="llm_answer", tags=[ANSWER_TAG])


def make_answer_chain(setup: ChainSetup) -> Runnable[AnswerInput, AnswerOutcome]:
    """The answering path as one Runnable (see the module's docstring)."""
    branches: list[Any] = [
        (lambda state: not state.relevant, RunnableLambda(partial(refuse, setup), name="refuse"))
    ]
    if setup.chat_model is not None:
        branches.append((lambda _: True, llm_answer_chain(setup)))
    extractive = RunnableLambda(partial(answer_extractively, setup), name="extractive")
    chain = (
        RunnableLambda(partial(clean, setup), name="clean")
        | RunnableLambda(partial(condense, setup), name="condense")
        # Both run side by side, each on a core of its own.
        | RunnableParallel(
            retrieved=RunnableLambda(partial(retrieve, setup), name="retrieve"),
            warmed=RunnableLambda(partial(warm_answerer, setup), name="warm_answerer"),
        )
        | RunnableLambda(partial(refusal_gate, setup), name="refusal_gate")
        | RunnableBranch(*branches, extractive)
    )
    return chain.with_config(run_name=RUN_NAME)
