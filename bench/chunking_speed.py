"""Chunking speed on 1 MB of ordinary news text next to 1 MB of adversarial texts: sentence
ends that are all abbreviation-like ("A. A. A. ..."), one long run of dots, and runs of
spaces after a full stop. Linear splitting keeps them all within a small factor of the
ordinary text. Figures go to BENCHMARKS.md, "Chunking speed".

    .venv/bin/python bench/chunking_speed.py [--megabytes N]
"""

from __future__ import annotations

import argparse
import time

from bot.settings import SAMPLE_DIR
from index.chunking import chunk_spans

SEED = SAMPLE_DIR / "mosul-campaign-2017.txt"


def sized(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def texts(size: int) -> dict[str, str]:
    return {
        "ordinary news (the seed article, repeated)": sized(SEED.read_text(encoding="utf-8"), size),
        'abbreviation-like ends ("A. A. A. ...")': sized("A. ", size),
        'initials and titles ("Mr. J. Smith Jr. ...")': sized("Mr. J. Smith Jr. ", size),
        "one run of dots": sized(".", size - 1) + "x",
        "full stops before runs of spaces": sized("end." + " " * 200 + "x ", size),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0)
    args = parser.parse_args()
    size = int(args.megabytes * 1_000_000)
    print(f"chunking {size:,} characters of each text")
    for name, text in texts(size).items():
        started = time.perf_counter()
        chunks = chunk_spans(text)
        seconds = time.perf_counter() - started
        print(f"  {name:<48} {seconds:6.2f} s  {len(chunks):>6,} chunks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
