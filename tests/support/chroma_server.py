"""A real `chroma run` on a free loopback port, for tests of replicas sharing one server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.bot_runner import free_port
from tests.support.engines import engine_unavailable

START_SECONDS = 60


@contextmanager
def running_chroma(data: Path) -> Iterator[int]:
    """Start `chroma run --path data` on 127.0.0.1 and yield its port. If it can't start
    here, the test is skipped saying why, or in CI fails (`engine_unavailable`)."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        engine_unavailable("no `chroma` command (it comes with the chromadb package)")
    port = free_port()
    log_path = data / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_listening(server, port, log_path)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_listening(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if server.poll() is not None:
            engine_unavailable(f"chroma run exited at start: {log_path.read_text()[-500:]}")
        if time.monotonic() > deadline:
            engine_unavailable(f"chroma run did not listen within {START_SECONDS} s")
        time.sleep(0.2)
