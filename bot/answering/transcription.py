"""Speech to text for voice questions: one multipart POST to an OpenAI-compatible server's
`/audio/transcriptions` (OpenAI, or a server of your own that offers it: vLLM, LocalAI,
speaches), the same server and key the LLM answers with.

Every way it can fail is a `TranscriptionError` of one `kind`, which a front end turns into a
line for the reader; nothing the server sent back (which may echo the API key) is in it. The
server's own words go to the log only, through the one redaction."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from index.errors import NewsdeskError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "whisper-1"
OPENAI_BASE_URL = "https://api.openai.com/v1"
# After a 404 (the server has no transcription endpoint), this long before asking it again:
# voice messages in between are told at once, without downloading or uploading anything.
NOT_OFFERED_SECONDS = 600.0
# What is logged of the server's reply to a failed request.
LOGGED_REPLY_CHARS = 300

Kind = Literal[
    "not_offered",  # the server has no /audio/transcriptions (404, 405)
    "key_refused",  # 401, 403
    "unreadable",  # the server could not read the audio (400, 413, 415, 422)
    "busy",  # 429: rate limits or quota
    "failed",  # 5xx, or a reply that is no transcription
    "timeout",  # no reply within the time limit
    "unreachable",  # no connection
    "too_large",  # over the size cap, refused before it is sent
    "empty",  # a transcription with no words in it
]


class TranscriptionError(NewsdeskError):
    """Transcribing failed in the way `kind` says; `status` is the server's HTTP status, if
    it answered."""

    def __init__(self, kind: Kind, status: int | None = None) -> None:
        self.kind: Kind = kind
        self.status = status
        super().__init__(f"transcription failed: {kind}" + (f" (HTTP {status})" if status else ""))


@dataclass(frozen=True)
class Recording:
    """Audio to transcribe: its bytes, a file name whose suffix says its format (the server
    reads the format from it) and its MIME type."""

    data: bytes
    file_name: str
    mime_type: str


def kind_of_status(status: int) -> Kind:
    if status in (404, 405):
        return "not_offered"
    if status in (401, 403):
        return "key_refused"
    if status == 429:
        return "busy"
    if 400 <= status < 500:
        return "unreadable"
    return "failed"


class Transcriber:
    """Transcribes recordings of at most `max_bytes` with `model` at `base_url` (ending in
    /v1, as NEWSDESK_LLM_BASE_URL does). `clock` is for the wait after a 404."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        model: str = DEFAULT_MODEL,
        timeout_seconds: float = 60.0,
        max_bytes: int = 20 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = base_url.rstrip("/") + "/audio/transcriptions"
        self._api_key = api_key
        self.model = model
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self._clock = clock
        self._not_offered_until = 0.0
        self._lock = threading.Lock()

    def known_not_offered(self) -> bool:
        """Whether the server said lately that it has no transcription endpoint."""
        with self._lock:
            return self._clock() < self._not_offered_until

    def transcribe(self, recording: Recording) -> str:
        """The words spoken in the recording, or TranscriptionError."""
        if self.known_not_offered():
            raise TranscriptionError("not_offered", 404)
        if len(recording.data) > self.max_bytes:
            raise TranscriptionError("too_large")
        reply = self._post(recording)
        if reply.status_code != 200:
            self._log_refusal(reply)
            kind = kind_of_status(reply.status_code)
            if kind == "not_offered":
                with self._lock:
                    self._not_offered_until = self._clock() + NOT_OFFERED_SECONDS
            raise TranscriptionError(kind, reply.status_code)
        text = transcript_of(reply)
        if not text:
            raise TranscriptionError("empty", reply.status_code)
        return text

    def _post(self, recording: Recording) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        files = {"file": (recording.file_name, recording.data, recording.mime_type)}
        form = {"model": self.model, "response_format": "json"}
        try:
            with httpx.Client(timeout=self.timeout_seconds) as client:
                return client.post(self.url, headers=headers, data=form, files=files)
        except httpx.TimeoutException:
            raise TranscriptionError("timeout") from None
        except httpx.HTTPError as error:
            log.warning("could not reach the transcription server: %s", type(error).__name__)
            raise TranscriptionError("unreachable") from None

    def _log_refusal(self, reply: httpx.Response) -> None:
        # The log's redaction removes a key the server echoes; the reader sees none of this.
        said = reply.text[:LOGGED_REPLY_CHARS]
        log.warning("the transcription server answered HTTP %s: %s", reply.status_code, said)


def transcript_of(reply: httpx.Response) -> str:
    """The text of a `{"text": ...}` reply, whitespace folded; TranscriptionError("failed")
    for a reply that is no transcription."""
    try:
        body = json.loads(reply.content)
    except ValueError:
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        log.warning("the transcription server's reply holds no text: %r", reply.content[:80])
        raise TranscriptionError("failed", reply.status_code)
    return " ".join(text.split())
