"""The answer service: a thin façade over `answer_chain` (chain.py), the one path the CLI, the
local chat, Telegram and `newsdesk eval` share. It gives each run its config (the run name,
the chat id and the prompt version as metadata) and holds what the help text needs. It knows
no front end and no Settings: `bot.wiring` builds it from them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig

from bot.answering.answers import Answer
from bot.answering.chain import ANSWER_TAG, RUN_NAME, QuestionError, make_answer_chain
from bot.answering.chain_states import Answerer, AnswerInput, AnswerOutcome, ChainSetup
from bot.answering.prompts import PromptLibrary
from bot.answering.time_window import TimeWindow
from index.collections import Scope
from index.store import ArticleStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.retrievers import BaseRetriever

__all__ = ["AnswerService", "Answerer", "Draft", "QuestionError"]
History = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Draft:
    """The LLM's reply so far, while it is being generated (not yet checked)."""

    text: str


EMPTY_INDEX = (
    "Nothing is indexed yet, so I have no articles to answer from. To add some: "
    "`newsdesk index FILE_OR_FOLDER_OR_URL` on the command line, or, in Telegram, an admin "
    "sends the bot a file or a link (/help lists the admin commands)."
)


class AnswerService:
    """The store (for the help text) and what the chain is built from; it builds it once."""

    def __init__(self, store: ArticleStore, setup: ChainSetup) -> None:
        self.store = store
        self.setup = setup
        self.chain: Runnable[AnswerInput, AnswerOutcome] = make_answer_chain(setup)

    @property
    def retriever(self) -> BaseRetriever:
        return self.setup.retriever

    @property
    def prompts(self) -> PromptLibrary:
        return self.setup.prompts

    @property
    def chat_model(self) -> BaseChatModel | None:
        return self.setup.chat_model

    def with_prompts(self, prompts: PromptLibrary) -> AnswerService:
        """The same service answering with another prompt library (e.g. a candidate)."""
        return AnswerService(self.store, replace(self.setup, prompts=prompts))

    def prompt_version(self) -> str:
        """Which prompt makes the answers: the answer template's live version, or no LLM at
        all. Read only: recording edits is the bot's periodic job, never a question's."""
        if self.chat_model is None:
            return "extractive (no LLM)"
        live = self.prompts.live_version("answer")
        # None: the live text isn't a recorded version yet (a home no bot has run on, or a
        # file edited since the bot last looked).
        return f"answer v{live.number}" if live else "answer (not recorded yet)"

    def run_config(self, chat_id: int | None = None) -> RunnableConfig:
        """One question's config: one trace named newsdesk.answer, with the chat and prompt."""
        metadata: dict[str, Any] = {"prompt_version": self.prompt_version()}
        if chat_id is not None:
            metadata["chat_id"] = chat_id
        return {"run_name": RUN_NAME, "metadata": metadata}

    def answer(
        self,
        question: str,
        as_of: date | None = None,
        *,
        history: History = (),
        chat_id: int | None = None,
        window: TimeWindow | None = None,
        collections: Scope = None,
    ) -> Answer:
        """A cited answer, or a refusal when no passage is relevant enough to the question.
        `as_of`: answer as on that date (later articles left out); default today. `history`:
        the chat's earlier (standalone question, answer) pairs, for follow-ups. `window`:
        publication dates to keep to, given as dates. `collections`: the collections to
        answer from (None: every one)."""
        return self.answer_with_passages(
            question, as_of, history=history, chat_id=chat_id, window=window,
            collections=collections,
        )[0]  # fmt: skip

    def answer_with_passages(
        self,
        question: str,
        as_of: date | None = None,
        *,
        history: History = (),
        chat_id: int | None = None,
        window: TimeWindow | None = None,
        collections: Scope = None,
    ) -> tuple[Answer, list[Document]]:
        """The answer and every passage retrieved for it."""
        request: AnswerInput = {
            "question": question,
            "history": list(history),
            "as_of": as_of,
            "window": window,
            "collections": collections,
        }
        outcome = self.chain.invoke(request, self.run_config(chat_id))
        return self._said_empty(outcome.answer, outcome.passages), outcome.passages

    async def stream(
        self,
        question: str,
        *,
        history: History = (),
        chat_id: int | None = None,
        window: TimeWindow | None = None,
        as_of: date | None = None,
        collections: Scope = None,
    ) -> AsyncIterator[Draft | Answer]:
        """Drafts of the LLM's reply as it is generated (none without an LLM), then the
        checked Answer, the same the chain's invoke gives (`as_of` as for `answer`)."""
        request: AnswerInput = {
            "question": question,
            "history": list(history),
            "as_of": as_of,
            "window": window,
            "collections": collections,
        }
        config = self.run_config(chat_id)
        text = ""
        async for event in self.chain.astream_events(request, config, version="v2"):
            kind = event["event"]
            if kind == "on_chat_model_stream" and _in_answer_step(event):
                text += str(getattr(event["data"].get("chunk"), "content", "") or "")
                yield Draft(text)
            elif kind == "on_chain_end" and event["name"] == RUN_NAME and not event["parent_ids"]:
                outcome = event["data"].get("output")
                if isinstance(outcome, AnswerOutcome):
                    yield self._said_empty(outcome.answer, outcome.passages)

    def _said_empty(self, answer: Answer, passages: list[Document]) -> Answer:
        """A refusal from an index with nothing in it says so, and how to fill it, rather
        than that the articles don't cover the question."""
        if answer.refused and not passages and self.store.count() == 0:
            return replace(answer, answer=EMPTY_INDEX)
        return answer

    def help_text(self) -> str:
        """What the bot knows and how to ask, from `prompts/help.txt`."""
        overview = self.store.overview()
        return self.prompts.render(
            "help",
            articles=f"{overview.articles:,} article{'' if overview.articles == 1 else 's'}",
            latest=overview.latest_published or "undated",
        )


def _in_answer_step(event: Any) -> bool:
    """Tokens of the answer's model call, not of the condense step's."""
    return ANSWER_TAG in (event.get("tags") or [])
