"""What flows through the answer chain (chain.py): its input and outcome, the `ChainSetup`
every step is given, and the state each step hands the next, one type a step: `AnswerInput`
-> `Asked` -> `Understood` -> `Retrieved` (`Found`, beside the warmed answerer) -> `Gated` ->
`AnswerOutcome`. From `Asked` to `Gated`, each state is the one before it (`carried`) and
what its step added."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from langchain_core.documents import Document

from bot.answering.answers import Answer
from bot.answering.language import ENGLISH, Language, detect_language
from bot.answering.prompts import PromptLibrary
from bot.answering.time_window import TimeWindow
from index.collections import Scope

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel
    from langchain_core.retrievers import BaseRetriever

Answerer = Callable[[str, list[Document]], Answer]
History = tuple[tuple[str, str], ...]


class AnswerInput(TypedDict, total=False):
    question: str
    history: Sequence[tuple[str, str]]
    as_of: date | None
    # Publication dates to keep to, given as dates (`newsdesk ask --since/--until`,
    # `/ask since:DATE`): a filter. Without it, the question's own words may name a span.
    window: TimeWindow | None
    # The collections to answer from (a chat's /sources, `newsdesk ask --collection`);
    # None: every collection.
    collections: Scope


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Answer
    # Every passage retrieved (the retriever may fetch more than the top k the answer is
    # built from, as `newsdesk eval` does to measure Hit@10).
    passages: list[Document] = field(default_factory=list)


@dataclass(frozen=True)
class ChainSetup:
    """What the answer chain is built from, once: every step is given it."""

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
    # A "now" or "latest" question whose newest cited report is older than this many days
    # is answered with that report's date.
    stale_days: int = 30
    # The question's language (language.py): bot.wiring passes a detector that keeps its
    # model unpacked in the models folder.
    detect: Callable[[str], Language] = detect_language
    # The refusal in the reader's language: (text, ISO 639-1 code) -> the text translated,
    # where a translation of it ships (bot.wiring passes the bot's catalogs); else as it is.
    localize: Callable[[str, str], str] = lambda text, language: text


@dataclass(frozen=True)
class Asked:
    """The question cleaned, the chat's earlier (standalone question, answer) pairs, and the
    day it is asked as of (None: today)."""

    question: str
    history: History
    as_of: date | None
    given_window: TimeWindow | None
    # What the question is written in (language.py): retrieval is in English, the answer in it.
    language: Language = field(default=ENGLISH, kw_only=True)
    # The collections retrieval keeps to (None: all).
    scope: Scope = field(default=None, kw_only=True)

    @property
    def foreign(self) -> bool:
        """Asked in another language than the articles' (English)."""
        return not self.language.is_english


@dataclass(frozen=True)
class Understood(Asked):
    """And the question as it is retrieved for: a follow-up made to stand on its own, names
    spelled as the articles spell them; the question itself if neither changed it. And the
    time it asks about: the dates given, else what its words say (time_window.py)."""

    understood_as: str
    window: TimeWindow | None


@dataclass(frozen=True)
class Retrieved(Understood):
    """And every passage the retriever found, best first."""

    passages: list[Document]


class Found(TypedDict):
    """What the two steps run side by side give the gate: retrieval's state, and whether the
    answerer's vector of the question was made ready."""

    retrieved: Retrieved
    warmed: bool


@dataclass(frozen=True)
class Gated(Retrieved):
    """And the top k passages, each now with a `relevance` (first in `passages`, the rest
    after them as found), of which `relevant` are those relevant enough to answer from."""

    relevant: list[Document]


class Replied(TypedDict):
    """The chat model's reply, unchecked, beside the state it answered."""

    gated: Gated
    reply: str


def carried(state: Asked) -> dict[str, Any]:
    """A state's fields, for the next step's state to carry on (the documents are shared)."""
    return {each.name: getattr(state, each.name) for each in fields(state)}
