"""One writer at a time per embedded Chroma store, across processes.

Chroma's PersistentClient is not process-safe (Chroma #3792): two processes writing one
folder at once each keep their own vector index in memory and write it back over the other's,
so chunks whose metadata is stored lose their vectors for good ("Error finding id"). Every
indexing run over an embedded store therefore holds this lock from its first write to its last:
an flock on a file in the Chroma folder, which the kernel releases when the process ends, so a
run killed with -9 never leaves it held.

A Chroma server serialises writes itself, and its writers may sit on other machines, so there
is no lock for it: a deployment runs exactly one indexer (README, "Scaling out").
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import NewsdeskError

LOCK_FILE = "newsdesk-writer.lock"
# How long a run waits for another one before giving up, by default: a whole re-sync of a
# large collection takes minutes, a feed poll seconds.
WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2


class WriterBusyError(NewsdeskError):
    """Another indexing run held the store's writer lock for longer than we wait."""


class WaitStoppedError(NewsdeskError):
    """Asked to stop (the bot shutting down) while waiting for the lock."""


class WriterLock:
    """The inter-process writer lock of the embedded store in `folder`."""

    def __init__(self, folder: Path, wait_seconds: float = WAIT_SECONDS) -> None:
        self.path = folder / LOCK_FILE
        self.wait_seconds = wait_seconds

    def holder(self) -> str:
        """Who holds (or last held) the lock, as its process id, for the messages."""
        try:
            pid = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return "another process"
        return f"process {pid}" if pid.isdigit() else "another process"

    @contextmanager
    def held(
        self,
        waiting: Callable[[str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[None]:
        """Hold the lock for the block. If another run holds it, `waiting` is called once
        with a line saying so, and this waits up to `wait_seconds`, then raises
        WriterBusyError; or WaitStoppedError as soon as `stop()` is true. Also excludes other
        threads of this process (each takes its own open file description), so it must not
        be taken twice by one thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._acquire(fd, waiting, stop)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # releases the flock

    def _acquire(
        self, fd: int, waiting: Callable[[str], None] | None, stop: Callable[[], bool] | None
    ) -> None:
        deadline = time.monotonic() + self.wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if stop is not None and stop():
                raise WaitStoppedError("stopped while waiting for another indexing run")
            if not told:
                told = True
                if waiting is not None:
                    waiting(
                        f"another indexing run ({self.holder()}) is writing to this index; "
                        f"waiting up to {self.wait_seconds:.0f} s for it to finish..."
                    )
            if time.monotonic() >= deadline:
                raise WriterBusyError(
                    f"another indexing run ({self.holder()}) has been writing to this index "
                    f"for over {self.wait_seconds:.0f} s; try again when it has finished "
                    "(NEWSDESK_INDEX_WAIT_SECONDS says how long to wait)"
                )
            time.sleep(POLL_SECONDS)


SETUP_LOCK_FILE = "newsdesk-setup.lock"


@contextmanager
def setting_up(folder: Path) -> Iterator[None]:
    """Held while a process opens its client of the embedded store in `folder`: the first
    client creates Chroma's database and runs its migrations, and two processes doing that at
    once fail with "table collections already exists". Short and blocking, apart from the
    writer lock, which an indexing run holds for its whole write."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / SETUP_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
