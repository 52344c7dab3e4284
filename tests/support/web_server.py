"""A real HTTP server on 127.0.0.1 serving what a test puts in it, and recording requests."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    send_length: bool = True
    trickle: float = 0.0  # seconds between the body's bytes, sent one at a time


class WebServer:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                page = server.pages.get(self.path, Page(b"not found", "text/plain", 404))
                time.sleep(page.delay)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                if page.send_length:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                # The client may stop reading, as it should on an oversized body.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if not page.trickle:
                        self.wfile.write(page.body)
                    for byte in page.body if page.trickle else b"":
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(page.trickle)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, page: Page) -> str:
        self.pages[path] = page
        return self.url(path)


def news_page(title: str, body: str, date: str = "2017-05-26") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta name="date" content="{date}"><meta property="og:site_name" content="Wire">'
        f"</head><body><nav>Home | World</nav><article><h1>{title}</h1>{paragraphs}"
        f"</article><footer>Copyright</footer></body></html>"
    ).encode()
