"""Settings read newsdesk's own names only: the shell's HOME is not NEWSDESK_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


def test_the_shells_home_is_not_taken_for_newsdesk_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NEWSDESK_MODELS_DIR", raising=False)  # the suite's shared exports
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.home == tmp_path / ".local" / "share" / "newsdesk"
    assert settings.chroma_dir == settings.home / "chroma"
    assert settings.models_dir == settings.home / "models"


def test_an_older_versions_data_in_the_home_folder_is_used_where_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Older versions wrote into the home folder itself: their index is not left behind."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "newsdesk.sqlite").write_bytes(b"")
    assert Settings(_env_file=None).home == tmp_path  # type: ignore[call-arg]
    # Once the default folder exists, or NEWSDESK_HOME names one, that is the home.
    (tmp_path / ".local" / "share" / "newsdesk").mkdir(parents=True)
    assert Settings(_env_file=None).home == tmp_path / ".local" / "share" / "newsdesk"  # type: ignore[call-arg]
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "elsewhere"))
    assert Settings(_env_file=None).home == tmp_path / "elsewhere"  # type: ignore[call-arg]
