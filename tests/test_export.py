"""`newsdesk export answers`: the answer log the bot keeps, with citations and votes, read out
through the real CLI as JSON lines and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answering.answers import Answer, Citation
from bot.cli.main import main
from bot.state.answer_export import BATCH
from bot.wiring.state import open_state
from tests.conftest import make_settings

TRICKY = 'Who said "no, never",\nand =SUM(A1)?'
NOV_1 = datetime(2026, 11, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def citation(n: int, title: str) -> Citation:
    return Citation(n, title, "Wire", "https://example.org/a", "2026-10-30", "a quote, \"here\"",
                    f"chunk{n}", 0.5, [f"chunk{n}"])  # fmt: skip


def record(home: Path, question: str, at: float, *, refused: bool = False) -> int:
    answer = Answer(
        question=question,
        answer="" if refused else "Ahmed Jabouri, the council said. [1]",
        refused=refused,
        citations=[] if refused else [citation(1, "Mayor, elected")],
        short_answer="" if refused else "Ahmed Jabouri",
    )
    answers = open_state(make_settings(home)).answers
    return answers.record(answer, chat_id=-100, user_id=7, latency_ms=812.5,
                          prompt_version="answer@2", asked_at=at)  # fmt: skip


def export(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["export", "answers", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_jsonl_has_answers_citations_and_votes_oldest_first(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = record(home, "who is the mayor?", NOV_1 + 3600)
    first = record(home, TRICKY, NOV_1 - 86400, refused=True)
    answers = open_state(make_settings(home)).answers
    assert answers.vote(later, 11, 1, at=NOV_1 + 4000)
    assert answers.vote(later, 12, -1, at=NOV_1 + 4100)
    assert answers.vote(later, 12, 1, at=NOV_1 + 4200)  # changed their mind

    code, out, err = export(capsys)
    assert code == 0 and "exported 2 answers" in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["id"] for row in rows] == [first, later]
    assert rows[0]["question"] == TRICKY and rows[0]["refused"] is True
    assert rows[0]["asked_at"] == "2026-10-31T00:00:00+00:00"
    assert rows[0]["citations"] == [] and rows[0]["votes"] == []
    shown = rows[1]
    assert shown["answer"] == "Ahmed Jabouri, the council said. [1]"
    assert shown["short_answer"] == "Ahmed Jabouri" and shown["prompt_version"] == "answer@2"
    assert (shown["chat_id"], shown["user_id"], shown["latency_ms"]) == (-100, 7, 812.5)
    assert shown["citations"] == [
        {"n": 1, "title": "Mayor, elected", "source": "Wire", "url": "https://example.org/a",
         "published": "2026-10-30", "quote": 'a quote, "here"', "chunk_id": "chunk1"}
    ]  # fmt: skip
    assert (shown["thumbs_up"], shown["thumbs_down"]) == (2, 0)
    assert [(v["user_id"], v["vote"]) for v in shown["votes"]] == [(11, 1), (12, 1)]

    code, out, _ = export(capsys, "--since", "2026-11-01")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [later]
    code, out, _ = export(capsys, "--since", "2026-11-01T02:00+01:00")  # 01:00 UTC
    assert [json.loads(line)["id"] for line in out.splitlines()] == [later]
    code, out, err = export(capsys, "--since", "2026-11-02")
    assert (code, out) == (0, "") and "exported 0 answers" in err


def test_csv_quotes_commas_quotes_and_line_breaks_and_defuses_formulas(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record(home, TRICKY, NOV_1)
    record(home, "-1 or +1?", NOV_1 + 1)
    target = tmp_path / "answers.csv"
    code, out, err = export(capsys, "--format", "csv", "--output", str(target))
    assert (code, out) == (0, "") and f"exported 2 answers to {target}" in err
    with target.open(newline="", encoding="utf-8") as data:
        rows = list(csv.DictReader(data))
    assert rows[0]["question"] == TRICKY  # read back exactly: commas, quotes, line break
    assert rows[1]["question"] == "'-1 or +1?"  # a spreadsheet would take it for a formula
    assert json.loads(rows[0]["citations"])[0]["title"] == "Mayor, elected"
    assert rows[0]["thumbs_up"] == "0" and json.loads(rows[0]["votes"]) == []
    assert list(rows[0]) == [
        "id", "asked_at", "chat_id", "user_id", "question", "understood_as", "short_answer",
        "answer", "refused", "latency_ms", "prompt_version", "citations", "thumbs_up",
        "thumbs_down", "votes",
    ]  # fmt: skip
    assert not list(tmp_path.glob(".*partial"))


def test_more_answers_than_a_batch_each_once(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(BATCH + 3):  # some share a second: paging must neither skip nor repeat
        record(home, f"question {n}", NOV_1 + n // 4)
    code, out, _ = export(capsys, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert len(rows) == BATCH + 3 and len({row["id"] for row in rows}) == BATCH + 3


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "01/11/2026", ""])
def test_a_bad_since_is_refused_with_the_form_wanted(
    since: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["export", "answers", "--since", since])
    assert exit_.value.code == 2
    assert f"not a date: {since!r} (use YYYY-MM-DD" in capsys.readouterr().err


def test_no_database_yet_exports_nothing_and_creates_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = export(capsys, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("id,asked_at,")
    assert len(out.splitlines()) == 1 and "no answers recorded yet" in err
    assert not (home / "newsdesk.sqlite").exists()


def test_an_unwritable_output_is_an_error_naming_it(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record(home, "who?", NOV_1)
    target = tmp_path / "no-such-folder" / "answers.jsonl"
    code, _, err = export(capsys, "--output", str(target))
    assert code == 2 and f"can't write {target}" in err
    assert not target.exists()
