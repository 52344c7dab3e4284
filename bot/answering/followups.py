"""Follow-up questions: each chat keeps its last few questions, and a question that leans on
them ("and who leads them?") is rewritten into a standalone one before retrieval.

With an LLM, `prompts/condense.txt` does the rewriting. Without one, a documented heuristic
does: a question is a follow-up when it opens with a connective ("and", "but", "what about",
"how about", "also", "so") or uses a pronoun that points back ("they", "them", "their", "he",
"she", "it", "its", "his", "her", "there", "that", "those", "these") while naming nothing of
its own (no capitalized word after the first). A follow-up is asked as the previous
standalone question followed by the new one, so retrieval sees both the subject and what is
asked about it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.answering.llm_errors import ask_provider
from bot.answering.prompts import PromptLibrary

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

MEMORY = 3  # questions remembered per chat
CONNECTIVES = ("and ", "but ", "what about ", "how about ", "also ", "so ", "then ")
POINTING_BACK = frozenset(
    [
        "they",
        "them",
        "their",
        "theirs",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "there",
        "that",
        "those",
        "these",
    ]
)
MAX_CONDENSED_CHARS = 500


@dataclass
class ChatMemory:
    """The chat's last standalone questions and the answers given, oldest first."""

    turns: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=MEMORY))

    def remember(self, question: str, answer: str) -> None:
        self.turns.append((question, answer))

    def clear(self) -> None:
        self.turns.clear()


def looks_like_follow_up(question: str) -> bool:
    text = question.strip().lower()
    if text.startswith(CONNECTIVES):
        return True
    words = re.findall(r"[A-Za-z][\w'-]*", question)
    names_something = any(word[0].isupper() for word in words[1:])
    return not names_something and any(word.lower() in POINTING_BACK for word in words)


def condense(
    question: str,
    memory: ChatMemory,
    chat_model: BaseChatModel | None = None,
    prompts: PromptLibrary | None = None,
) -> str:
    """The question as it should be retrieved for: unchanged unless it is a follow-up."""
    if not memory.turns:
        return question
    if chat_model is not None and prompts is not None:
        history = "\n".join(f"Reader: {q}\nBot: {a}" for q, a in memory.turns)
        prompt = prompts.render("condense", history=history, question=question)
        reply = ask_provider(lambda: chat_model.invoke(prompt))
        text = str(reply.content).strip().splitlines()[0] if str(reply.content).strip() else ""
        return text[:MAX_CONDENSED_CHARS] or question
    if not looks_like_follow_up(question):
        return question
    previous = memory.turns[-1][0]
    return f"{previous} {question}"
