"""One conversation turn, the same for every front end: recall the conversation's last
exchanges, answer (the chain makes a follow-up stand on its own), record the answer, remember
the exchange, and say what the front end should show. Telegram, the local chat and
`newsdesk ask` all ask through a `Conversation`; each supplies the `ConversationKey` that
says whose memory a question belongs to, and where it lives (in this process, or the shared
database through the `ConversationMemory` protocol)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.answering.answers import Answer
from bot.answering.service import AnswerService, Draft
from bot.answering.time_window import TimeWindow
from index.collections import Scope

# Exchanges remembered per conversation: enough for "and who leads them?" after one or two
# questions, few enough that an old subject doesn't leak into a new one.
MEMORY = 3

# (the question as it was retrieved for, the answer given)
Exchange = tuple[str, str]
# How a rewritten question was understood, said before its answer (the Telegram reader's
# catalog translates it: bot/telegram/answer_words.py).
UNDERSTOOD_AS = "(Understood as: {question})"


@dataclass(frozen=True)
class ConversationKey:
    """Whose memory a question belongs to: a chat, and within it a forum topic and a person
    when the front end keeps them apart."""

    chat: int | str
    topic: int | None = None
    person: int | None = None

    def __str__(self) -> str:
        parts = [str(self.chat)]
        if self.topic is not None:
            parts.append(f"topic={self.topic}")
        if self.person is not None:
            parts.append(f"person={self.person}")
        return "/".join(parts)

    @property
    def chat_id(self) -> int | None:
        """The chat's Telegram id, when it has one (for the trace and the answer log)."""
        return self.chat if isinstance(self.chat, int) else None


class ConversationMemory(Protocol):
    """Where each conversation's last exchanges are kept, oldest first."""

    def recall(self, key: ConversationKey) -> list[Exchange]: ...

    def remember(self, key: ConversationKey, exchange: Exchange) -> None: ...

    def forget(self, key: ConversationKey) -> None: ...


class AnswerRecorder(Protocol):
    """The answer log: records an answer and returns its id (what the vote buttons carry)."""

    def record(
        self,
        answer: Answer,
        *,
        chat_id: int,
        user_id: int | None,
        latency_ms: float,
        prompt_version: str,
    ) -> int: ...


class TurnObserver(Protocol):
    """Told how each turn ended (the bot's metrics, `bot.telemetry.Telemetry`)."""

    def answered(self, answer: Answer, latency_seconds: float) -> None: ...

    def failed(self, error: BaseException) -> None: ...


class ChatScopes(Protocol):
    """The collections each chat answers from (`bot.state.sources.ChatSources`, set by a
    chat's admins with /sources): None for every collection, the default."""

    def scope(self, chat_id: int) -> Scope: ...


class MemoryInProcess:
    """Conversations remembered by this process alone: the local chat's."""

    def __init__(self) -> None:
        self._kept: dict[ConversationKey, deque[Exchange]] = {}

    def recall(self, key: ConversationKey) -> list[Exchange]:
        return list(self._kept.get(key, ()))

    def remember(self, key: ConversationKey, exchange: Exchange) -> None:
        self._kept.setdefault(key, deque(maxlen=MEMORY)).append(exchange)

    def forget(self, key: ConversationKey) -> None:
        self._kept.pop(key, None)


class NoMemory:
    """A one-off question (`newsdesk ask`): nothing recalled, nothing kept."""

    def recall(self, key: ConversationKey) -> list[Exchange]:
        return []

    def remember(self, key: ConversationKey, exchange: Exchange) -> None:
        return None

    def forget(self, key: ConversationKey) -> None:
        return None


@dataclass(frozen=True)
class Turn:
    """One question answered: the answer, its id in the answer log (None when nothing
    records answers), and how long answering took."""

    answer: Answer
    answer_id: int | None = None
    latency_ms: float = 0.0

    @property
    def preface(self) -> str:
        """What to say before the answer: its note (language_offline.py), and how a rewritten
        question was understood."""
        return self.preface_in(lambda line: line)

    def preface_in(self, said: Callable[[str], str]) -> str:
        """The preface with the bot's own words in a reader's language (`said`: a catalog's
        gettext); the note is already in the question's."""
        understood = self.answer.understood_as
        shown = said(UNDERSTOOD_AS).format(question=understood) if understood else ""
        return "\n".join(filter(None, [self.answer.note, shown]))


class Conversation:
    """Questions asked in conversations: memory -> answer -> record -> remember -> Turn.
    With `observer`, each turn is told to it: answered, refused or failed, and how long it
    took (the one place every front end's questions pass)."""

    def __init__(
        self,
        service: AnswerService,
        memory: ConversationMemory | None = None,
        recorder: AnswerRecorder | None = None,
        observer: TurnObserver | None = None,
        scopes: ChatScopes | None = None,
    ) -> None:
        self.service = service
        self.memory: ConversationMemory = memory if memory is not None else NoMemory()
        self.recorder = recorder
        self.observer = observer
        self.scopes = scopes

    def scope(self, key: ConversationKey, given: Scope = None) -> Scope:
        """The collections a question in `key` is answered from: those given, else the
        chat's own (/sources), else every collection."""
        if given is not None or self.scopes is None or key.chat_id is None:
            return given
        return self.scopes.scope(key.chat_id)

    def history(self, key: ConversationKey) -> list[Exchange]:
        return self.memory.recall(key)

    def forget(self, key: ConversationKey) -> None:
        self.memory.forget(key)

    def ask(
        self,
        key: ConversationKey,
        question: str,
        *,
        asker: int | None = None,
        as_of: date | None = None,
        follows: list[Exchange] | None = None,
        window: TimeWindow | None = None,
        collections: Scope = None,
    ) -> Turn:
        """Answer `question` in the conversation `key`; `asker`: who asked, for the log;
        `follows`: the exchanges it follows up on, when not the conversation's own (a reply
        to an answer given to someone else); `collections`: to answer from (default: the
        chat's scope)."""
        try:
            history = self.memory.recall(key) if follows is None else follows
            scope = self.scope(key, collections)
            started = time.perf_counter()
            answer = self.service.answer(
                question, as_of, history=history, chat_id=key.chat_id, window=window,
                collections=scope,
            )  # fmt: skip
            return self._close(key, answer, started, asker)
        except Exception as error:
            self._tell_failure(error)
            raise

    async def stream(
        self,
        key: ConversationKey,
        question: str,
        *,
        asker: int | None = None,
        follows: list[Exchange] | None = None,
        window: TimeWindow | None = None,
        as_of: date | None = None,
    ) -> AsyncIterator[Draft | Turn]:
        """Drafts of an LLM's reply as it is written, then the Turn, as `ask` makes it."""
        try:
            history = (
                follows if follows is not None else await asyncio.to_thread(self.memory.recall, key)
            )
            scope = await asyncio.to_thread(self.scope, key) if self.scopes else None
            started = time.perf_counter()
            stream = self.service.stream(
                question,
                history=history,
                chat_id=key.chat_id,
                window=window,
                as_of=as_of,
                collections=scope,
            )
            async for part in stream:
                if isinstance(part, Draft):
                    yield part
                else:
                    yield await asyncio.to_thread(self._close, key, part, started, asker)
        except Exception as error:  # not GeneratorExit: a reader who stops reading is no error
            self._tell_failure(error)
            raise

    def _tell_failure(self, error: Exception) -> None:
        if self.observer is not None:
            self.observer.failed(error)

    def _close(
        self, key: ConversationKey, answer: Answer, started: float, asker: int | None
    ) -> Turn:
        """Record and remember before the front end sends: a process killed after sending
        loses neither."""
        latency_ms = (time.perf_counter() - started) * 1000
        answer_id = None
        if self.recorder is not None and key.chat_id is not None:
            answer_id = self.recorder.record(
                answer,
                chat_id=key.chat_id,
                user_id=asker,
                latency_ms=latency_ms,
                prompt_version=self.service.prompt_version(),
            )
        self.memory.remember(key, (answer.standalone, answer.as_shown))
        if self.observer is not None:
            self.observer.answered(answer, latency_ms / 1000)
        return Turn(answer, answer_id, latency_ms)


def recent(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """The exchanges a memory keeps: the last MEMORY of them."""
    return list(exchanges)[-MEMORY:]
