"""Each command builds only what it uses: a one-off `newsdesk ask` imports no Telegram and no
indexing, and on an existing home writes nothing (no migration, no legacy import, no keyword
sync, no prompt versions)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.settings import SAMPLE_DIR

SAMPLE = SAMPLE_DIR
# What `ask` must not import: the Telegram front end, the indexing side's readers and runs,
# Alembic (a migration), and with an ONNX backend torch and what needs it; for an answer
# without an LLM, which reads no template, neither SQLAlchemy (the prompt versions) nor
# LangChain's prompts (BENCHMARKS.md, "Start-up without torch"); for an English question, not
# the catalogs' reader nor Babel (the refusal is said as it is).
NOT_FOR_ASK = (
    "bot.telegram",
    *("bot.translation", "babel"),
    "index.ingest",
    "index.indexer",
    "alembic",
    "bot.state.legacy",
    *("torch", "transformers", "sentence_transformers"),
    *("sqlalchemy", "langchain_core.prompts"),
)
ASK = """
import json, sys
from bot.cli.main import main
code = main(["ask", {question!r}, "--json"])
loaded = sorted(m for m in sys.modules if m.startswith({forbidden!r}))
print(json.dumps({{"loaded": loaded}}))
sys.exit(code)
"""


def newsdesk(home: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSDESK_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "bot", *args]
    return subprocess.run(
        command, cwd=home.parent, env=env, capture_output=True, text=True, timeout=300
    )


def snapshot(home: Path) -> dict[str, object]:
    """The state database's rows and the keyword index's files, by content."""
    with sqlite3.connect(home / "newsdesk.sqlite") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    keyword = {
        str(path.relative_to(home)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((home / "keyword").rglob("*"))
        if path.is_file()
    }
    return {"rows": rows, "keyword": keyword}


def test_a_one_off_question_imports_only_answering_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # The exports are made at install (./start): made here, not by the question, whatever
    # ran before this test in the session.
    assert newsdesk(home, "models", "export").returncode == 0
    assert newsdesk(home, "index", str(SAMPLE)).returncode == 0
    # Something that keeps state, so the home has a database at the newest revision.
    assert newsdesk(home, "feeds", "list").returncode == 0
    before = snapshot(home)
    assert before["rows"] and before["keyword"], "the home has a database and a keyword index"

    code = ASK.format(question="who controls Qairawan?", forbidden=NOT_FOR_ASK)
    asked = newsdesk(home, code=code)
    assert asked.returncode == 0, asked.stderr
    answer_text, _, loaded_line = asked.stdout.rstrip().rpartition("\n")
    answer = json.loads(answer_text)
    assert "[1]" in answer["answer"] and answer["citations"]
    assert json.loads(loaded_line) == {"loaded": []}
    assert snapshot(home) == before


def test_a_one_off_question_on_a_home_without_a_database_creates_none(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert newsdesk(home, "index", str(SAMPLE)).returncode == 0
    assert not (home / "newsdesk.sqlite").exists(), "indexing keeps no shared state"
    asked = newsdesk(home, "ask", "who controls Qairawan?")
    assert asked.returncode == 0, asked.stderr
    assert "[1]" in asked.stdout
    assert not (home / "newsdesk.sqlite").exists()


def test_a_one_off_refusal_reads_the_published_template_from_the_database(tmp_path: Path) -> None:
    """The database is opened at the first template read: an answered question reads none
    (above), a refusal reads the version published with `newsdesk prompts set`."""
    home = tmp_path / "home"
    assert newsdesk(home, "models", "export").returncode == 0
    assert newsdesk(home, "index", str(SAMPLE)).returncode == 0
    refusal = tmp_path / "refusal.txt"
    refusal.write_text("Nothing on that in these articles.")
    assert newsdesk(home, "prompts", "set", "refusal", "--file", str(refusal)).returncode == 0
    before = snapshot(home)

    code = ASK.format(question="What is the population of Baghdad?", forbidden=("sqlalchemy",))
    asked = newsdesk(home, code=code)
    assert asked.returncode == 0, asked.stderr
    answer_text, _, loaded_line = asked.stdout.rstrip().rpartition("\n")
    assert json.loads(answer_text)["answer"] == "Nothing on that in these articles."
    assert "sqlalchemy" in json.loads(loaded_line)["loaded"]
    assert snapshot(home) == before
