"""`newsdesk index` progress: a bar with a total and an ETA on a terminal, plain lines in a
file or pipe, nothing with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.progress import IndexProgress
from index.pipeline import IndexSummary


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_with_the_total_and_an_eta() -> None:
    screen = Terminal()
    progress = IndexProgress(4, screen)
    for read in range(5):
        progress(IndexSummary(articles_read=read, chunks_added=read * 3))
    progress.close()
    shown = screen.getvalue()
    assert "4/4" in shown and "articles" in shown and "12 chunks embedded" in shown
    assert "<" in shown, "tqdm shows the elapsed<remaining time"


def test_a_file_gets_plain_lines_and_quiet_gets_nothing() -> None:
    log = io.StringIO()
    progress = IndexProgress(10, log)
    progress(IndexSummary(articles_read=3, chunks_added=7))
    progress.close()
    assert log.getvalue() == "  ... 3 of 10 articles read, 7 chunks embedded\n"
    silent = Terminal()
    quiet = IndexProgress(10, silent, quiet=True)
    quiet(IndexSummary(articles_read=3))
    quiet.close()
    assert silent.getvalue() == ""


def test_newsdesk_index_reports_progress_against_the_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.txt").write_text(f"Story {n}\n\nThe council of town {n} met today.")
    (folder / "empty.txt").write_text("")
    assert main(["index", str(folder)]) == 1  # the empty file is reported, the rest indexed
    err = capsys.readouterr().err
    assert "of 4 articles read" in err and "skipped" in err
