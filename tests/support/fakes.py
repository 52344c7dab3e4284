"""Fakes for the outer boundary only: the LLM provider."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import Field


class RecordingChatModel(FakeListChatModel):
    """LangChain's fake chat model, also keeping the prompts it was sent."""

    prompts: list[str] = Field(default_factory=list)

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        self.prompts.append("\n".join(str(m.content) for m in messages))
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        """Streamed (a private Telegram chat) as invoked: through `_call`, one chunk."""
        text = self._call(messages, *args, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content=text))

    async def _astream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        for piece in self._stream(messages, *args, **kwargs):
            yield piece


class SlowChatModel(FakeListChatModel):
    """LangChain's fake chat model taking its time: `seconds` per answer, or `slow_seconds`
    when the prompt contains one of `slow_words` (a slow question among fast ones)."""

    seconds: float = 0.0
    slow_words: list[str] = Field(default_factory=list)
    slow_seconds: float = 0.0

    def _delay(self, messages: list[BaseMessage]) -> float:
        prompt = "\n".join(str(m.content) for m in messages)
        slow = any(word in prompt for word in self.slow_words)
        return self.slow_seconds if slow else self.seconds

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        time.sleep(self._delay(messages))
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        """Streamed (a private Telegram chat) as slowly as invoked, in one chunk."""
        text = self._call(messages, *args, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content=text))

    async def _astream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        """As `_stream`, waiting without holding up the event loop (other chats)."""
        await asyncio.sleep(self._delay(messages))
        text = FakeListChatModel._call(self, messages, *args, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content=text))
