"""The `newsdesk` command, run in-process and, for the main job, as a real subprocess."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.settings import PROJECT_DIR, SAMPLE_DIR, SHIPPED_PROMPTS_DIR
from tests.support.documents import make_pdf

SUBCOMMANDS = [
    *["index", "feeds", "status", "ask", "eval", "models", "prompts", "chat", "bot", "start"]
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # no .env from the project directory
    return tmp_path / "home"


@pytest.mark.parametrize("args", [["--help"], *[[c, "--help"] for c in SUBCOMMANDS]])
def test_every_command_explains_itself(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: newsdesk")
    assert len(out.splitlines()) > 4


def test_index_reports_bad_files_and_keeps_the_rest(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "good.jsonl").write_text(
        json.dumps({"title": "Bridge opens", "text": "The new bridge over the Tigris opened."})
        + "\n{oops\n"
    )
    (articles / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (articles / "empty.md").write_text("")
    assert main(["index", str(articles)]) == 1
    captured = capsys.readouterr()
    assert (
        "1 articles read (1 new, 0 changed, 0 unchanged), 1 chunks added, 0 unchanged, "
        "0 removed, 3 errors"
    ) in captured.out
    assert f"skipped {articles / 'binary.txt'}: binary file" in captured.err
    assert f"skipped {articles / 'empty.md'}: empty file" in captured.err
    assert f"skipped {articles / 'good.jsonl'}:2: not valid JSON" in captured.err

    assert main(["index", str(articles / "good.jsonl")]) == 1  # again: nothing new
    assert "0 chunks added, 1 unchanged" in capsys.readouterr().out
    assert main(["ask", "--json", "When did the Tigris bridge open?"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["title"] == "Bridge opens"


def test_invalid_setting_is_named_without_crashing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSDESK_TOP_K", "lots")
    assert main(["ask", "anything"]) == 2
    assert "invalid settings: NEWSDESK_TOP_K" in capsys.readouterr().err


def test_unknown_embedding_model_names_the_choices(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSDESK_EMBEDDING_MODEL", "no-such/model-anywhere")
    assert main(["ask", "anything"]) == 2
    err = capsys.readouterr().err
    assert "could not load embedding model 'no-such/model-anywhere'" in err
    assert "all-MiniLM-L6-v2" in err


def test_bot_without_token_says_how_to_add_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bot"]) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def test_start_without_token_indexes_the_sample_and_chats_until_end_of_input(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "TELEGRAM_"))}
    env |= {"NEWSDESK_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "start"],
        input="who controls Qairawan?\n\nWhat is the population of Baghdad?\n",
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "indexing the sample articles" in result.stderr
    assert "put TELEGRAM_BOT_TOKEN=" in result.stderr
    assert "Qairawan. [1]" in result.stdout and "Sources:" in result.stdout
    assert "don't cover" in result.stdout
    assert result.stdout.rstrip().endswith("bye")
    assert PROJECT_DIR.exists()


def test_prompts_on_the_cli(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(SHIPPED_PROMPTS_DIR, prompts)
    monkeypatch.setenv("NEWSDESK_PROMPTS_DIR", str(prompts))
    monkeypatch.setenv("USER", "ed")
    candidate = tmp_path / "refusal.txt"
    candidate.write_text("The articles say nothing about that.")
    assert main(["prompts", "set", "refusal", "--file", str(candidate)]) == 0
    assert "Published refusal version 2" in capsys.readouterr().out
    assert main(["prompts", "history", "refusal"]) == 0
    assert "cli:ed" in capsys.readouterr().out
    candidate.write_text("Oops {name}")
    assert main(["prompts", "set", "refusal", "--file", str(candidate)]) == 2
    err = capsys.readouterr().err
    assert "unknown placeholder {name}" in err and "Version 2 stays live" in err
    candidate.write_text("Answer {question!r} from {passages:>20000000}")
    assert main(["prompts", "set", "answer", "--file", str(candidate)]) == 2
    assert "{question!r} has a conversion" in capsys.readouterr().err
    assert main(["prompts", "rollback", "refusal"]) == 0
    assert main(["prompts", "show", "refusal"]) == 0
    shipped = (SHIPPED_PROMPTS_DIR / "refusal.txt").read_text().strip()
    assert capsys.readouterr().out.strip().endswith(shipped)
    assert main(["prompts", "test", "answer", "who?"]) == 0
    assert "used only with an LLM" in capsys.readouterr().out


def test_a_pdf_that_crashes_its_parser_is_skipped_by_name_and_the_batch_goes_on(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A reference inside a content stream makes pypdf raise AssertionError, not a PdfError.
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(make_pdf(["Schools reopen", "Six schools reopened."], operators="3 0 R "))
    good = tmp_path / "good.txt"
    good.write_text("Bridge opens\n\nThe new bridge over the Tigris opened on Monday.")
    assert main(["index", str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    assert f"skipped {bad}: could not be read (AssertionError" in captured.err
    assert "Traceback" not in captured.err
    assert "1 articles read (1 new" in captured.out and "1 errors" in captured.out


def test_the_local_chat_remembers_follow_ups_and_knows_its_commands(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", "--quiet", str(SAMPLE_DIR)]) == 0
    capsys.readouterr()
    lines = io.StringIO(
        "who controls Qairawan?\n/help\nand who leads them?\n/reset\nand who leads them?\n"
        "/follow Qairawan\n/nonsense\n/ask\n/ask who controls Qairawan?\n"
        f"/{'x' * 5000} pasted\n/quit\n/help\n"
    )
    assert main(["chat"], stdin=lines) == 0
    out = capsys.readouterr().out
    replies = out.split("\n\n")
    assert out.count("(Understood as: who leads al-Hashd al-Shaabi?)") == 1
    assert "/reset (forget earlier questions)" in out  # /help was answered as a command
    assert "I've forgotten our conversation" in out
    # The greeting and the one /help: nothing after /quit was read.
    assert out.count("I answer questions about") == 2
    assert "/follow works in Telegram" in out
    assert "I don't know the command /nonsense" in out
    # a pasted blob of a "command" is named, not echoed whole
    assert f"I don't know the command /{'x' * 63}. " in out and "x" * 64 not in out
    assert "Type the question after /ask" in out
    # the question, the follow-up and the /ask
    assert sum("Sources:" in reply for reply in replies) == 3
    assert out.rstrip().endswith("bye")


def test_prompts_set_is_kept_in_the_database_never_the_tracked_files(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = {path.name: path.read_bytes() for path in (SHIPPED_PROMPTS_DIR).glob("*.txt")}
    monkeypatch.setenv("USER", "ed")
    candidate = tmp_path / "refusal.txt"
    candidate.write_text("The articles say nothing about that.")
    assert main(["prompts", "set", "refusal", "--file", str(candidate)]) == 0
    assert "Published refusal version 2" in capsys.readouterr().out
    assert not (home / "prompts").exists(), "versions live in the database, not in files"
    assert main(["prompts", "show", "refusal"]) == 0
    assert capsys.readouterr().out.strip() == "The articles say nothing about that."
    assert main(["prompts", "history", "refusal"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("cli:ed")
    assert main(["prompts", "rollback", "refusal", "1"]) == 0
    assert main(["prompts", "show", "refusal"]) == 0
    assert capsys.readouterr().out.strip().endswith(shipped["refusal.txt"].decode().strip())
    after = {path.name: path.read_bytes() for path in (SHIPPED_PROMPTS_DIR).glob("*.txt")}
    assert after == shipped, "the shipped prompts in the checkout were not rewritten"
