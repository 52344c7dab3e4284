"""Follow-up questions: a question that leans on the conversation's last ones ("and who leads
them?") is rewritten into a standalone one before retrieval (the memory itself is
`conversation.py`'s).

With an LLM, `bot/prompts/condense.txt` does the rewriting (the condense step of
`chain.py`). Without one, a documented heuristic
does: a question is a follow-up when it opens with a connective ("and", "but", "what about",
"how about", "also", "so") or uses a pronoun that points back ("they", "them", "their", "he",
"she", "it", "its", "his", "her", "there", "that", "those", "these") while naming nothing of
its own (no capitalized word after the first).

When the last answer had a short answer (remembered as its first line, `Answer.as_shown`), a
pronoun pointing back is read as that: "who controls Qairawan?" answered "al-Hashd al-Shaabi",
then "and who leads them?" is asked as "who leads al-Hashd al-Shaabi?". Otherwise a follow-up
is asked as the previous standalone question followed by the new one, so retrieval sees both
the subject and what is asked about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A first line longer than this is a sentence, not a short answer.
MAX_SHORT_ANSWER_CHARS = 120
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


# Pronouns read as the last short answer, and those read as its possessive. "that", "those"
# and "these" are left out: they mostly stand before a noun ("that deal").
_AS_ANSWER = frozenset(["they", "them", "he", "him", "she", "her", "it", "there"])
_AS_POSSESSIVE = frozenset(["their", "theirs", "his", "its"])
_PRONOUN = re.compile(r"\b[A-Za-z]+\b")


def heuristic_rewrite(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Without an LLM: a follow-up's pronoun read as the last short answer, else the follow-up
    asked after the previous standalone question; any other question unchanged."""
    if not history or not looks_like_follow_up(question):
        return question
    previous, answer = history[-1]
    resolved = resolve_pronoun(question, last_short_answer(answer))
    return resolved or f"{previous} {question}"


def last_short_answer(shown: str) -> str:
    """The short answer of an answer as it was shown (`Answer.as_shown`): its first line, when
    more lines follow; "" when it had none."""
    first, _, rest = shown.strip().partition("\n")
    return first.strip() if rest.strip() and len(first) <= MAX_SHORT_ANSWER_CHARS else ""


def resolve_pronoun(question: str, short_answer: str) -> str:
    """The question with its first pronoun pointing back replaced by `short_answer`, its
    opening connective dropped; "" when there is no short answer or no such pronoun."""
    if not short_answer:
        return ""
    for match in _PRONOUN.finditer(question):
        word = match.group(0).lower()
        if word in _AS_ANSWER or word in _AS_POSSESSIVE:
            named = short_answer if word in _AS_ANSWER else f"{short_answer}'s"
            rewritten = question[: match.start()] + named + question[match.end() :]
            return _without_connective(rewritten)
    return ""


# Dropped once the pronoun is read: "and who leads them?" is "who leads ...?". "what about"
# and "how about" stay: without them no question is left.
_DROPPED = ("and ", "but ", "also ", "so ", "then ")


def _without_connective(question: str) -> str:
    lowered = question.lower()
    for connective in _DROPPED:
        if lowered.startswith(connective):
            return question[len(connective) :].lstrip()
    return question
