"""Catching the keyword index up with the store in a thread, so that a bot starting on a
store whose keyword index must be rebuilt (a new layout after an upgrade, a lost or damaged
folder, another process's writes) answers at once: from the vector store and whatever the
keyword index holds, which grows commit by commit (`KeywordSync.catch_up`).

Only one process writes at a time: the thread holds the store's writer lock
(index/writer_lock.py) for the catch-up, as an indexing run does, so a second bot or an
indexing run of another process waits for it, then finds the index in step. Killed
half-way (kill -9 included), the index keeps what was committed and its pending mark, and
the next start resumes from there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from index.keyword.sync import KeywordSync
from index.store import ArticleStore
from index.writer_lock import WaitStoppedError

log = logging.getLogger(__name__)
# A catch-up of at most this many chunks is done before the first answer, as before: it takes
# well under a second, and the first answers then have the whole keyword index. Past it (a
# rebuild: 26k chunks take about 13 s, a million 8 minutes), it runs in the background.
FOREGROUND_CHUNKS = 2_000


class BackgroundCatchUp:
    """One catch-up of `sync` with `store` in a daemon thread, started by `start`."""

    def __init__(
        self,
        sync: KeywordSync,
        store: ArticleStore,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        # `prepare`: a one-time upgrade of the store to do first, under the same writer lock
        # (a store from before collections gets `main` on its chunks: 94 s at 173k chunks, so
        # not before the first answer; BENCHMARKS.md, "Start-up, memory and the keyword
        # rebuild at scale"). It makes the catch-up a background one.
        self.sync, self.store, self.prepare = sync, store, prepare
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Catch up if the index is out of step with the store: at once if it is behind by
        at most FOREGROUND_CHUNKS, else in the background; returns whether a background
        catch-up started."""
        if self.running:
            return False
        if self.prepare is not None:
            log.info(
                "bringing the store up to date in the background (once, after an upgrade); "
                "questions are answered meanwhile"
            )
            self._thread = threading.Thread(target=self._run, name="store-upkeep", daemon=True)
            self._thread.start()
            return True
        if not self.sync.out_of_step(self.store):
            return False
        held = self.sync.folder.count()
        if abs(self.store.count() - held) <= FOREGROUND_CHUNKS:
            self.sync.catch_up(self.store)
            return False
        log.info(
            "keyword index is out of step with the store: catching up in the background; "
            "questions are answered meanwhile from the vector store and the %s chunks it holds",
            f"{held:,}",
        )
        self._thread = threading.Thread(target=self._run, name="keyword-catch-up", daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the catch-up to end; returns whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def stop(self, timeout: float | None = None) -> None:
        """Ask the catch-up to end after its current commit (the rest is resumed at the next
        start), and wait for it up to `timeout`."""
        self._stopping.set()
        self.wait(timeout)

    def _run(self) -> None:
        started = time.monotonic()
        try:
            with self.store.writing(self._waiting, self._stopping.is_set):
                if self.prepare is not None:
                    self.prepare()
                    log.info("store brought up to date in %.1f s", time.monotonic() - started)
                changed = self.sync.catch_up(
                    self.store, progress=self._progress, stop=self._stopping.is_set
                )
        except WaitStoppedError:
            log.info("keyword catch-up stopped while waiting for the writer lock")
            return
        except Exception:  # a thread's error would otherwise go unlogged
            log.exception("keyword catch-up failed; the next start or refresh tries again")
            return
        if self._stopping.is_set():
            log.info("keyword catch-up stopped; the next start resumes it")
        elif changed:
            log.info(
                "keyword index in step with the store: %s chunks, in %.1f s",
                f"{self.sync.folder.count():,}",
                time.monotonic() - started,
            )
        else:
            log.info("keyword index was already in step with the store (another process)")

    def _waiting(self, line: str) -> None:
        log.info("keyword catch-up: %s", line)

    def _progress(self, done: int, total: int) -> None:
        log.info("keyword catch-up: %s of %s chunks added", f"{done:,}", f"{total:,}")
