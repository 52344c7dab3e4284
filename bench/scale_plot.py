"""The curves of bench/scale.py's rows, one PNG of four panels, with the goals as lines.

    .venv/bin/python -m bench.scale_plot WORK_DIR [--out bench/scale.png]

(bench/scale.py draws it after each size; this redraws it from WORK_DIR/scale-rows.json.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

GOAL_ADD_SECONDS = 10.0
GOAL_P50_MS = 60.0
GOAL_STARTUP_SECONDS = 15.0


def plot(rows: list[dict[str, Any]], out: Path, goal_size: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["chunks"] for row in rows]
    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels: list[tuple[Any, str, list[tuple[str, str]], float | None]] = [
        (axes[0][0], "add 10 articles (s)", [("add10_s", "index_articles")], GOAL_ADD_SECONDS),
        (
            axes[0][1],
            "query latency (ms)",
            [
                ("answer_p50_ms", "answer p50"),
                ("answer_p95_ms", "answer p95"),
                ("retrieval_p50_ms", "retrieval p50"),
                ("retrieval_p95_ms", "retrieval p95"),
            ],
            GOAL_P50_MS,
        ),
        (
            axes[1][0],
            "start-up to first answer (s)",
            [("startup_s", "python -m bot ask")],
            GOAL_STARTUP_SECONDS,
        ),
        (
            axes[1][1],
            "memory and disk (MiB)",
            [
                ("rss_mib", "bench peak RSS"),
                ("bot_rss_mib", "bot peak RSS"),
                ("chroma_mib", "Chroma on disk"),
                ("keyword_mib", "keyword index on disk"),
            ],
            None,
        ),
    ]
    for axis, title, series, goal in panels:
        for key, label in series:
            axis.plot(sizes, [row[key] for row in rows], marker="o", label=label)
        if goal is not None:
            axis.axhline(goal, color="red", linestyle="--", linewidth=1, label=f"goal {goal:g}")
        axis.axvline(goal_size, color="grey", linestyle=":", linewidth=1)
        axis.set_xscale("log")
        axis.set_title(title)
        axis.set_xlabel("chunks in the store")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("newsdesk at scale (random stored vectors, a 2-core machine: BENCHMARKS.md)")
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("scale.png"))
    args = parser.parse_args()
    rows = json.loads((args.work / "scale-rows.json").read_text())
    plot(sorted(rows, key=lambda r: r["chunks"]), args.out, 250_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
