"""Postgres support is the `postgres` extra: without psycopg installed, SQLite (the default)
runs as before, and a Postgres URL is one line naming the extra to install, without the
password. "Not installed" is made as Python itself makes it: a name that sys.modules maps to
None can't be imported (the driver is the outer boundary; our code runs as it is)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_wiring import newsdesk

WITHOUT_PSYCOPG = """
import sys
for name in ("psycopg", "psycopg_binary", "psycopg2"):
    sys.modules[name] = None
from bot.cli.main import main
sys.exit(main({args!r}))
"""
PASSWORD = "extra-test-password"


def without_psycopg(home: Path, *args: str) -> tuple[int, str, str]:
    ran = newsdesk(home, code=WITHOUT_PSYCOPG.format(args=list(args)))
    return ran.returncode, ran.stdout, ran.stderr


def test_sqlite_needs_no_postgres_driver(tmp_path: Path) -> None:
    code, out, err = without_psycopg(tmp_path / "home", "feeds", "list")
    assert code == 0, err
    assert "no feeds yet" in out
    assert (tmp_path / "home" / "newsdesk.sqlite").is_file()


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://newsdesk:{PASSWORD}@127.0.0.1:9/newsdesk",
        f"postgresql://newsdesk:{PASSWORD}@127.0.0.1:9/newsdesk",  # SQLAlchemy's psycopg2
    ],
)
def test_a_postgres_url_without_the_driver_names_the_extra(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_DATABASE_URL", url)
    code, _, err = without_psycopg(tmp_path / "home", "feeds", "list")
    assert code == 2
    assert "pip install 'newsdesk[postgres]'" in err
    assert "postgresql+psycopg://" in err
    assert PASSWORD not in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
