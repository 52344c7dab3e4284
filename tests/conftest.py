"""Shared fixtures: the real bundled model, real Chroma in temp dirs, settings without .env."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answering.service import AnswerService
from bot.settings import SAMPLE_DIR, Settings
from bot.wiring.bot import BotServices, build_bot
from index.chroma_client import open_store
from index.embeddings import SentenceTransformerEmbeddings, make_embeddings
from index.ingest.loaders import load_paths
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.support.bot_runner import BotRunner
from tests.support.engines import engine_unavailable
from tests.support.fake_telegram import FakeBotAPI
from tests.support.postgres import PostgresServer, PostgresUnavailableError

SEED_DIR = SAMPLE_DIR
DATABASES = ["sqlite", "postgres"]


def make_settings(home: Path, **overrides: object) -> Settings:
    """Settings for a test: environment and .env are ignored, only what the test says counts."""
    values: dict[str, Any] = {"NEWSDESK_HOME": str(home), **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of ONNX exports for the session: each is made once, as on a user's machine."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _no_newsdesk_environment(monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("NEWSDESK_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSDESK_MODELS_DIR", str(models_dir))


@pytest.fixture(scope="session")
def embeddings() -> SentenceTransformerEmbeddings:
    return make_embeddings()


@pytest.fixture(scope="session")
def seed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seed-home")


@pytest.fixture(scope="session")
def seed_store(seed_home: Path, embeddings: SentenceTransformerEmbeddings) -> ArticleStore:
    settings = make_settings(seed_home)
    store = open_store(settings.collection, path=settings.chroma_dir)
    index_articles(load_paths([SEED_DIR]), store, embeddings)
    return store


@pytest.fixture(scope="session")
def seed_bot(
    seed_home: Path, seed_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> BotServices:
    """The bot's services over the seed article, as `newsdesk bot` builds them."""
    return build_bot(make_settings(seed_home), store=seed_store, embeddings=embeddings)


@pytest.fixture(scope="session")
def seed_service(seed_bot: BotServices) -> AnswerService:
    return seed_bot.service


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[ArticleStore]:
    yield open_store("test-articles", path=tmp_path / "chroma")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real Postgres on 127.0.0.1 for the session. Not installed: in CI the tests fail,
    elsewhere they are skipped with the reason. Installed but failing to start: they fail."""
    try:
        server = PostgresServer()
    except PostgresUnavailableError as error:
        engine_unavailable(str(error))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: SQLite in a temp folder, or a fresh one on the session's Postgres."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


# Starts the real bot (python-telegram-bot's Application) on parts, against a fake Bot API.
StartBot = Callable[..., FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    """`start_bot(parts, **settings)`: the bot on `parts`, its settings made in tmp_path with
    `settings` on top; every bot started is stopped after the test. A module may define its own."""
    runner = BotRunner()

    def start(parts: BotServices, **settings: object) -> FakeBotAPI:
        return runner.start(
            lambda **values: make_settings(tmp_path, **{**settings, **values}), parts
        )

    yield start
    runner.stop_all()
