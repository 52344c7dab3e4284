"""`build_transcriber`: the speech-to-text side of voice questions, from the LLM settings. Voice
needs an OpenAI-compatible server (`NEWSDESK_LLM=openai:MODEL`): the one at
NEWSDESK_LLM_BASE_URL, else OpenAI's, with the same API key as the answers."""

from __future__ import annotations

import os

from bot.answering.transcription import OPENAI_BASE_URL, Transcriber
from bot.settings import Settings

MB = 1024 * 1024


def build_transcriber(settings: Settings) -> Transcriber | None:
    """The transcriber of voice messages, or None when no OpenAI-compatible LLM is set."""
    provider, _, model = (settings.llm or "").partition(":")
    if provider != "openai" or not model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    # As the OpenAI client of the answers does: its own variable when no key is set. A
    # server of one's own may want none.
    key = key or os.environ.get("OPENAI_API_KEY") or None
    return Transcriber(
        settings.llm_base_url or OPENAI_BASE_URL,
        key,
        model=settings.transcription_model,
        timeout_seconds=settings.llm_timeout_seconds,
        max_bytes=int(settings.voice_max_mb * MB),
    )
