"""question -> retrieval -> refusal gate -> answer: the one path the CLI, the local chat,
Telegram and `newsdesk eval` share. It knows no front end and no Settings: `bot.app` builds
it from them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from bot.answering.answers import Answer
from bot.answering.followups import ChatMemory, condense
from bot.answering.prompts import PromptLibrary
from bot.answering.retrieval import ChunkRetriever
from index.errors import NewsdeskError
from index.store import ArticleStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Answerer = Callable[[str, list[Document]], Answer]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class QuestionError(NewsdeskError):
    """The question can't be asked as it is; the message is shown to the user."""


@dataclass
class AnswerService:
    store: ArticleStore
    retriever: ChunkRetriever
    answerer: Answerer
    prompts: PromptLibrary
    min_relevance: float
    max_question_chars: int
    top_k: int
    chat_model: BaseChatModel | None = None
    # Rewrites misspelled names the way the articles spell them (spelling.py); None: as asked.
    spelling: Callable[[str], str] | None = None

    def prompt_version(self) -> str:
        """Which prompt made the answers: the answer template's version, or no LLM at all."""
        if self.chat_model is None:
            return "extractive (no LLM)"
        live = self.prompts.notice_edits("answer")
        if live is None:
            versions = self.prompts.history("answer")
            live = versions[-1] if versions else None
        return f"answer v{live.number}" if live else "answer (unversioned)"

    def standalone(self, question: str, memory: ChatMemory) -> str:
        """The question rewritten to stand on its own if it follows up on the chat's last ones,
        with misspelled names spelled as the articles spell them."""
        rewritten = condense(question, memory, self.chat_model, self.prompts)
        return self.spelling(rewritten) if self.spelling else rewritten

    def answer(self, question: str, as_of: date | None = None) -> Answer:
        """A cited answer, or a refusal when no passage is relevant enough to the question.
        `as_of`: answer as on that date (later articles left out); default today."""
        return self.answer_with_passages(question, as_of)[0]

    def answer_with_passages(
        self, question: str, as_of: date | None = None
    ) -> tuple[Answer, list[Document]]:
        """The answer and every passage retrieved for it (the retriever may fetch more than
        the top_k the answer is built from, as `newsdesk eval` does to measure Hit@10)."""
        question = " ".join(_CONTROL.sub(" ", question).split())
        if not question:
            raise QuestionError("Please send your question as text.")
        if len(question) > self.max_question_chars:
            raise QuestionError(
                f"That question is {len(question):,} characters long; please keep it under "
                f"{self.max_question_chars:,} characters."
            )
        documents = self.retriever.invoke(question, as_of=as_of)
        relevant = [
            doc
            for doc in documents[: self.top_k]
            if doc.metadata["relevance"] >= self.min_relevance
        ]
        if not relevant:
            return Answer(question, self.prompts.render("refusal"), refused=True), documents
        return self.answerer(question, relevant), documents

    def help_text(self) -> str:
        """What the bot knows and how to ask, from `prompts/help.txt`."""
        overview = self.store.overview()
        return self.prompts.render(
            "help",
            articles=f"{overview.articles:,} article{'' if overview.articles == 1 else 's'}",
            latest=overview.latest_published or "undated",
        )
