"""Follow-up questions: a question that leans on the conversation's last ones ("and who leads
them?") is rewritten into a standalone one before retrieval (the memory itself is
`conversation.py`'s).

With an LLM, `prompts/condense.txt` does the rewriting (the condense step of
`chain.py`). Without one, a documented heuristic
does: a question is a follow-up when it opens with a connective ("and", "but", "what about",
"how about", "also", "so") or uses a pronoun that points back ("they", "them", "their", "he",
"she", "it", "its", "his", "her", "there", "that", "those", "these") while naming nothing of
its own (no capitalized word after the first). A follow-up is asked as the previous
standalone question followed by the new one, so retrieval sees both the subject and what is
asked about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def looks_like_follow_up(question: str) -> bool:
    text = question.strip().lower()
    if text.startswith(CONNECTIVES):
        return True
    words = re.findall(r"[A-Za-z][\w'-]*", question)
    names_something = any(word[0].isupper() for word in words[1:])
    return not names_something and any(word.lower() in POINTING_BACK for word in words)


def heuristic_rewrite(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Without an LLM: a follow-up asked as the previous standalone question followed by the
    new one; any other question unchanged."""
    if not history or not looks_like_follow_up(question):
        return question
    return f"{history[-1][0]} {question}"
