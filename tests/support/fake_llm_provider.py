"""A fake OpenAI-compatible chat completions server on 127.0.0.1: the real OpenAI client
(through langchain-openai) talks HTTP to it, as to Ollama, llama.cpp's llama-server or vLLM.
It serves `/v1/chat/completions` plain and as SSE streaming (`"stream": true`), records every
request body, and fails the way providers do, echoing the API key in its error text as OpenAI
does. It also serves `/v1/audio/transcriptions` (multipart, as OpenAI's), recording each
upload, and refusing audio that is no known format as OpenAI does."""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def chunk(text: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {"role": "assistant", "content": text} if text is not None else {}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


AUDIO_FORMATS = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"


def is_known_audio(data: bytes) -> bool:
    """Whether the bytes open as an audio container does (Ogg, MP3, WAV, FLAC, WebM, MP4)."""
    starts = (b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"RIFF", b"fLaC", b"\x1aE\xdf\xa3")
    return data.startswith(starts) or data[4:8] == b"ftyp"


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """The fields of a multipart/form-data body: text fields as str, the file as bytes under
    its field name, with its "file_name" and "file_type"."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if part.get_filename() is not None:
            fields[name] = payload
            fields["file_name"] = part.get_filename()
            fields["file_type"] = part.get_content_type()
        else:
            fields[name] = payload.decode()
    return fields


class FakeLLMProvider:
    """`mode` says how every request is answered: "ok" (with `reply`, or `reply_for(body)`),
    "auth" (401 echoing the key), "quota" (429), "server" (503), "error" (500), "slow" (no
    answer for 30 s), "malformed" (200 with a body that isn't a completion; streamed: an event
    that isn't JSON). Streamed replies come `chunk_chars` at a time, `chunk_seconds` apart."""

    def __init__(self, mode: str = "ok", reply: str = "Ahmed Jabouri is the mayor [1].") -> None:
        self.mode = mode
        self.reply = reply
        self.reply_for: Callable[[dict[str, Any]], str] | None = None
        self.chunk_chars = 8
        self.chunk_seconds = 0.0
        self.requests = 0
        self.bodies: list[dict[str, Any]] = []  # every request's JSON body, in order
        self.streamed_at: list[float] = []  # time.monotonic() of each streamed chunk sent
        # /audio/transcriptions: "ok" (with `transcript`, or `transcript_for(audio)`), "absent"
        # (404, as a server without the endpoint), "auth" (401 echoing the key), "server"
        # (503 echoing the key), "slow" (no answer for 30 s), "malformed" (200, not JSON),
        # "empty" (200 with no words). Audio in no known format is refused with 400.
        self.transcription_mode = "ok"
        self.transcript = "Who controls Qairawan?"
        self.transcript_for: Callable[[bytes], str] | None = None
        # every upload: its form fields, "file" (bytes), "file_name", "file_type",
        # "authorization" (the header as sent)
        self.transcriptions: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if self.path.endswith("/audio/transcriptions"):
                    upload = parse_multipart(self.headers.get("Content-Type", ""), raw)
                    upload["authorization"] = self.headers.get("Authorization", "")
                    fake.transcriptions.append(upload)
                    status, answer = fake._transcribe(key, upload)
                    if status == 0:
                        time.sleep(30)
                        return
                    data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                    self._send(status, data)
                    return
                fake.requests += 1
                body = json.loads(raw or b"{}")
                fake.bodies.append(body)
                if not self.path.endswith("/chat/completions"):
                    self._send(404, json.dumps({"error": {"message": "no such path"}}).encode())
                    return
                status, answer = fake._answer(key, body)
                if status == 0:
                    time.sleep(30)
                    return
                if status == 200 and body.get("stream"):
                    self._stream(fake._reply_text(body))
                    return
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self._send(status, data)

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                events: list[bytes]
                if fake.mode == "malformed":
                    events = [b'data: {"choices": [{"delta": {"content": "Hal', b"data: [DONE]"]
                else:
                    parts = [chunk(piece) for piece in pieces(text, fake.chunk_chars)]
                    parts.append(chunk(None, "stop"))
                    events = [b"data: " + json.dumps(part).encode() for part in parts]
                    events.append(b"data: [DONE]")
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for event in events:
                        self.wfile.write(event + b"\n\n")
                        self.wfile.flush()
                        fake.streamed_at.append(time.monotonic())
                        time.sleep(fake.chunk_seconds)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def _reply_text(self, body: dict[str, Any]) -> str:
        return self.reply_for(body) if self.reply_for else self.reply

    def _answer(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | bytes]:
        def error(status: int, message: str, kind: str) -> tuple[int, dict[str, Any]]:
            return status, {"error": {"message": message, "type": kind, "code": kind}}

        if self.mode == "auth":
            return error(401, f"Incorrect API key provided: {key}. Check {key}.", "invalid_api_key")
        if self.mode == "quota":
            return error(429, f"You exceeded your current quota (key {key}).", "insufficient_quota")
        if self.mode == "server":
            return error(503, f"The server is overloaded (request by {key}).", "server_error")
        if self.mode == "error":
            return error(500, f"Internal error (request by {key}).", "server_error")
        if self.mode == "slow":
            return 0, {}
        if self.mode == "malformed" and not body.get("stream"):
            return 200, b'{"choices": "not a list", "echo": "' + key.encode() + b'"}'
        return 200, completion(self._reply_text(body))

    def _transcribe(self, key: str, upload: dict[str, Any]) -> tuple[int, dict[str, Any] | bytes]:
        def error(status: int, message: str, kind: str) -> tuple[int, dict[str, Any]]:
            return status, {"error": {"message": message, "type": kind, "code": kind}}

        mode = self.transcription_mode
        if mode == "absent":
            return error(404, "Not Found", "not_found")
        if mode == "auth":
            return error(401, f"Incorrect API key provided: {key}.", "invalid_api_key")
        if mode == "server":
            return error(503, f"The server is overloaded (request by {key}).", "server_error")
        if mode == "slow":
            return 0, {}
        if mode == "malformed":
            return 200, b"<html>" + key.encode() + b"</html>"
        audio = upload.get("file")
        if not isinstance(audio, bytes) or not is_known_audio(audio):
            message = f"Invalid file format. Supported formats: {AUDIO_FORMATS} (key {key})"
            return error(400, message, "invalid_request_error")
        if mode == "empty":
            return 200, {"text": " \n "}
        text = self.transcript_for(audio) if self.transcript_for else self.transcript
        return 200, {"text": text}

    def prompts(self) -> list[list[dict[str, Any]]]:
        """The messages of every request, in order."""
        return [list(body.get("messages", [])) for body in self.bodies]

    def start(self) -> FakeLLMProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
