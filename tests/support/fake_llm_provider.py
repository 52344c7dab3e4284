"""A fake OpenAI-compatible chat completions server on 127.0.0.1: the real OpenAI client
(through langchain-openai) talks HTTP to it, and it fails the way providers do, echoing the
API key in its error text as OpenAI does."""

from __future__ import annotations

import contextlib
import json
import threading
import time
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


class FakeLLMProvider:
    """`mode` says how every request is answered: "ok" (with `reply`), "auth" (401 echoing
    the key), "quota" (429), "server" (503), "slow" (no answer for 30 s), "malformed" (200
    with a body that isn't a completion)."""

    def __init__(self, mode: str = "ok", reply: str = "Ahmed Jabouri is the mayor [1].") -> None:
        self.mode = mode
        self.reply = reply
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                status, body = fake._answer(key)
                if status == 0:
                    time.sleep(30)
                    return
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def _answer(self, key: str) -> tuple[int, dict[str, Any] | bytes]:
        def error(status: int, message: str, kind: str) -> tuple[int, dict[str, Any]]:
            return status, {"error": {"message": message, "type": kind, "code": kind}}

        if self.mode == "auth":
            return error(401, f"Incorrect API key provided: {key}. Check {key}.", "invalid_api_key")
        if self.mode == "quota":
            return error(429, f"You exceeded your current quota (key {key}).", "insufficient_quota")
        if self.mode == "server":
            return error(503, f"The server is overloaded (request by {key}).", "server_error")
        if self.mode == "slow":
            return 0, {}
        if self.mode == "malformed":
            return 200, b'{"choices": "not a list", "echo": "' + key.encode() + b'"}'
        return 200, completion(self.reply)

    def start(self) -> FakeLLMProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
