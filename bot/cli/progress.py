"""Progress of `newsdesk index`: a bar with a total and an ETA on a terminal, plain lines every
few seconds when the output is a file or a pipe, nothing with --quiet."""

from __future__ import annotations

import time
from typing import TextIO

from index.pipeline import IndexSummary

PLAIN_EVERY_SECONDS = 2.0


class IndexProgress:
    """Called with the run's summary after each article; `close` when the run ends."""

    def __init__(self, total: int, stream: TextIO, *, quiet: bool = False) -> None:
        self.total = total
        self.stream = stream
        self.quiet = quiet
        self._last = 0.0
        self._bar = None
        if not quiet and stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=" articles", file=stream, dynamic_ncols=True)

    def __call__(self, summary: IndexSummary) -> None:
        if self.quiet:
            return
        if summary.waiting:  # once, as the run starts waiting for another process's run
            print(f"  ... {summary.waiting}", file=self.stream, flush=True)
            return
        embedded = f"{summary.chunks_added:,} chunks embedded"
        if self._bar is not None:
            self._bar.update(summary.articles_read - self._bar.n)
            self._bar.set_postfix_str(embedded, refresh=False)
            return
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY_SECONDS:
            self._last = now
            read = f"{summary.articles_read:,} of {self.total:,} articles read"
            print(f"  ... {read}, {embedded}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
