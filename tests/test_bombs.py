"""Compressed input is read as a stream under the caps of plain files: a gzip bomb, one
gigabyte-long line or a gigabyte of small valid records in a 1 MB file, is refused with a
clear message while the reader stays within 300 MB, through the CLI (a real process) and
through an admin's upload to the bot (the real Application, the fake Bot API). So is a PDF
whose compressed streams inflate to far more text than one article holds."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from index.articles import Article, LoadProblem
from index.ingest.capped import MAX_RECORD_BYTES
from index.ingest.loaders import load_file
from tests.support.documents import make_pdf_bomb
from tests.test_telegram_admin import ADMIN, StartBot, replies, start_bot

__all__ = ["start_bot"]  # the fixture

MB = 1024 * 1024
MAX_GROWTH_KB = 300 * 1024
INFLATED = "too large once decompressed"


def bomb(path: Path, member: bytes, *, head: bytes = b"", tail: bytes = b"") -> Path:
    """About 1 MB of gzip inflating to about 1 GB: one member of `member` (1 MB) compressed
    once and repeated, since a gzip file may be many members one after the other."""
    piece = gzip.compress(member, compresslevel=9)
    repeats = MB // len(piece)
    path.write_bytes(
        gzip.compress(head) + piece * repeats + gzip.compress(tail),
    )
    return path


def one_line_bomb(path: Path) -> Path:
    return bomb(path, b"a" * MB, head=b'{"title": "Bomb", "text": "', tail=b'"}\n')


def small_records_bomb(path: Path) -> Path:
    record = json.dumps({"title": "t", "text": "Small but valid."}).encode() + b"\n"
    return bomb(path, record * (MB // len(record)))


def peak_kb() -> int:
    """This process's peak RSS since the last `reset_peak`."""
    found = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    assert found is not None
    return int(found.group(1))


def child_peak_kb(pid: int) -> int:
    """A running child's peak RSS since it started its program (0 once it has ended). Its
    ru_maxrss would not do: Linux counts in it this process's RSS at the fork."""
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


def reset_peak() -> int:
    """Set this process's peak RSS back to what it uses now (Linux's clear_refs), and return
    it: what a step adds is the peak after it less this."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_kb()


def test_a_bomb_is_about_a_megabyte_and_inflates_to_about_a_gigabyte(tmp_path: Path) -> None:
    path = one_line_bomb(tmp_path / "bomb.jsonl.gz")
    assert 0.9 * MB < path.stat().st_size < 1.1 * MB
    inflated = 0
    with gzip.open(path, "rb") as stream:
        while piece := stream.read(16 * MB):
            inflated += len(piece)
    assert inflated > 900 * MB


def test_small_valid_records_inflating_past_the_cap_are_refused_before_any_is_read(
    tmp_path: Path,
) -> None:
    path = small_records_bomb(tmp_path / "records.jsonl.gz")
    first = next(iter(load_file(path)))
    assert isinstance(first, LoadProblem) and first.where == str(path)
    assert first.reason.startswith(INFLATED)
    assert list(load_file(path)) == [first]  # refused whole, as a plain file over 50 MB is


def test_a_line_longer_than_the_record_cap_is_skipped_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl.gz"
    noise = base64.b64encode(random.Random(7).randbytes(MAX_RECORD_BYTES)).decode()  # 7 MB
    lines = [
        {"title": "Before", "text": "Kept before the long line."},
        {"title": "Long", "text": noise},
        {"title": "After", "text": "Kept after the long line."},
    ]
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(line) + "\n" for line in lines)
    before, problem, after = load_file(path)
    assert isinstance(before, Article) and isinstance(after, Article)
    assert (before.title, after.title) == ("Before", "After")
    assert problem == LoadProblem(f"{path}:2", "record too large (7 MB; the limit is 5 MB)")


def test_the_cli_refuses_a_bomb_within_300_mb(tmp_path: Path) -> None:
    one_line_bomb(tmp_path / "bomb.jsonl.gz")
    small_records_bomb(tmp_path / "records.jsonl.gz")
    for name in ("bomb.jsonl.gz", "records.jsonl.gz"):
        environment = {**os.environ, "NEWSDESK_HOME": str(tmp_path / "home")}
        started = time.monotonic()
        process = subprocess.Popen(  # its output is a few lines: the pipes never fill
            [sys.executable, "-m", "bot", "index", str(tmp_path / name)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, child_peak_kb(process.pid))
            time.sleep(0.02)
        seconds = time.monotonic() - started
        assert process.stderr is not None and process.stdout is not None
        err, out = process.stderr.read().decode(), process.stdout.read().decode()
        print(f"{name}: peak RSS {peak / 1024:.0f} MB, {seconds:.1f} s")
        assert process.returncode == 1, err
        assert f"skipped {tmp_path / name}: {INFLATED} (over " in err
        assert "0 articles read" in out and "1 errors" in out
        assert 0 < peak < MAX_GROWTH_KB


def test_an_uploaded_bomb_is_refused_with_a_message_within_300_mb(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, service = start_bot()  # in this process
    data = one_line_bomb(tmp_path / "bomb.jsonl.gz").read_bytes()
    before = reset_peak()
    fake.push_document("bomb.jsonl.gz", data, user_id=ADMIN)
    (reply,) = replies(fake, ADMIN, 1)
    growth = peak_kb() - before
    print(f"upload: peak RSS grew {growth / 1024:.0f} MB")
    assert reply.startswith(f"I couldn't read bomb.jsonl.gz: {INFLATED} (over 21 MB from 1.0 MB;")
    assert reply.endswith("Nothing was changed.")
    assert growth < MAX_GROWTH_KB
    assert service.store.count() == 0 and not list((tmp_path / "uploads").rglob("*.gz"))


def test_compressed_records_under_the_caps_are_all_read(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl.gz"
    records = ({"id": n, "title": f"Story {n}", "text": f"Body {n}."} for n in range(20_000))
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(record) + "\n" for record in records)
    loaded = list(itertools.islice(load_file(path), 30_000))
    assert len(loaded) == 20_000 and all(isinstance(item, Article) for item in loaded)


def test_a_pdf_whose_pages_show_one_compressed_stream_is_refused_within_300_mb(
    tmp_path: Path,
) -> None:
    many_pages = tmp_path / "pages.pdf"
    many_pages.write_bytes(make_pdf_bomb(pages=2000, text_bytes=4 * MB))  # 8 GB of text
    one_stream = tmp_path / "stream.pdf"
    one_stream.write_bytes(make_pdf_bomb(pages=1, text_bytes=60 * MB))
    before = reset_peak()
    started = time.monotonic()
    (too_much,) = load_file(many_pages)
    (inflating,) = load_file(one_stream)
    growth = peak_kb() - before
    print(f"PDF bombs: peak RSS grew {growth / 1024:.0f} MB in {time.monotonic() - started:.1f} s")
    assert many_pages.stat().st_size < 400_000 and one_stream.stat().st_size < 100_000
    assert isinstance(too_much, LoadProblem) and isinstance(inflating, LoadProblem)
    assert too_much.reason.startswith("too much text (over 5 MB by page 2;")
    assert inflating.reason.startswith("a stream in it inflates past the limit of 10 MB")
    assert growth < MAX_GROWTH_KB
