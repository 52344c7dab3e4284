"""LLM provider failures and secrets: the real OpenAI client (langchain-openai) against a fake
provider on 127.0.0.1 that echoes the key, through the CLI and the real Telegram bot."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.llm_errors import KEY_REFUSED, QUOTA, TIMED_OUT
from bot.cli.main import main
from bot.logs import configure_logging
from bot.redaction import Redactor, secrets_in_environment
from bot.wiring.bot import build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import SEED_DIR, make_settings
from tests.support.bot_runner import TOKEN, BotRunner
from tests.support.fake_llm_provider import FakeLLMProvider

KEY = "sk-test-0123456789abcdefSECRET"


@pytest.fixture
def provider() -> Iterator[FakeLLMProvider]:
    server = FakeLLMProvider().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def indexed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("llm-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSDESK_HOME", str(home))
        patch.chdir(home)
        patch.setenv("NEWSDESK_MODELS_DIR", str(home / "models"))
        assert main(["index", "--quiet", str(SEED_DIR)]) == 0
        # Both ONNX exports made now, so that no test's stderr holds their one-time notice.
        assert main(["ask", "who controls Qairawan?"]) == 0
    return home


@pytest.fixture
def llm_env(
    indexed_home: Path, provider: FakeLLMProvider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeLLMProvider]:
    monkeypatch.chdir(indexed_home)
    for name, value in {
        "NEWSDESK_HOME": str(indexed_home),
        "NEWSDESK_MODELS_DIR": str(indexed_home / "models"),
        "NEWSDESK_LLM": "openai:fake-model",
        "NEWSDESK_LLM_API_KEY": KEY,
        "NEWSDESK_LLM_BASE_URL": provider.base_url,
        "NEWSDESK_LLM_TIMEOUT_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    yield provider
    logging.getLogger().handlers = []


@pytest.mark.parametrize(
    ("mode", "line"),
    [
        ("auth", KEY_REFUSED),
        ("quota", QUOTA),
        ("server", "the LLM provider failed (HTTP 503)"),
        ("slow", TIMED_OUT),
        ("malformed", "the LLM provider's reply could not be used"),
    ],
)
def test_an_llm_failure_is_one_clear_line_on_the_cli_without_the_key(
    llm_env: FakeLLMProvider, mode: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    llm_env.mode = mode
    assert main(["ask", "who controls Qairawan?"]) == 2
    captured = capsys.readouterr()
    (printed,) = captured.err.strip().splitlines()
    assert printed.startswith(f"newsdesk: error: {line}")
    assert "Traceback" not in captured.err and KEY not in captured.err + captured.out
    assert llm_env.requests >= 1


def test_the_llm_answers_through_the_real_client_when_all_is_well(
    llm_env: FakeLLMProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    llm_env.reply = "The PMU controls Qairawan [1]."
    assert main(["ask", "who controls Qairawan?"]) == 0
    assert "The PMU controls Qairawan [1]." in capsys.readouterr().out


def test_in_telegram_the_user_gets_the_line_and_the_log_never_the_key(
    provider: FakeLLMProvider,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> None:
    provider.mode = "auth"
    llm = {
        "NEWSDESK_LLM": "openai:fake-model",
        "NEWSDESK_LLM_API_KEY": KEY,
        "NEWSDESK_LLM_BASE_URL": provider.base_url,
    }
    log = io.StringIO()
    parts = build_bot(make_settings(tmp_path, **llm), store=seed_store, embeddings=embeddings)
    runner = BotRunner()
    fake = runner.start(lambda **values: make_settings(tmp_path, **llm, **values), parts)
    try:
        configure_logging("DEBUG", Redactor([KEY, TOKEN]), logging.StreamHandler(log))
        fake.push_message("who controls Qairawan?")
        fake.wait_for(lambda: len(fake.sent(chat_id=111)) >= 1)
        (reply,) = [str(params["text"]) for params in fake.sent(chat_id=111)]
    finally:
        runner.stop_all()
        logging.getLogger().handlers = []
    assert reply == KEY_REFUSED
    logged = log.getvalue()
    assert "Incorrect API key provided: [REDACTED]" in logged  # the provider's text, at DEBUG
    assert KEY not in logged and TOKEN not in logged


def test_a_wrong_bot_token_is_one_line_and_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.fake_telegram import FakeBotAPI

    fake = FakeBotAPI(TOKEN).start()
    wrong = "987654:WRONG-token-that-must-never-be-printed"
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "NEWSDESK_HOME": str(tmp_path / "home"),
        "TELEGRAM_BOT_TOKEN": wrong,
        "TELEGRAM_BASE_URL": fake.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    try:
        assert main(["bot"]) == 2
    finally:
        fake.stop()
        logging.getLogger().handlers = []
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1] == (
        "newsdesk: error: Telegram refused TELEGRAM_BOT_TOKEN: check it is the token "
        "@BotFather gave you"
    )
    assert wrong not in captured.err + captured.out and "Traceback" not in captured.err


def test_a_password_in_a_url_is_redacted_from_what_the_cli_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    assert main(["index", "https://editor:hunter2-secret@127.0.0.1:9/feed.xml"]) == 1
    err = capsys.readouterr().err
    assert "skipped https://editor:[REDACTED]@127.0.0.1:9/feed.xml" in err
    assert "hunter2-secret" not in err


def test_one_redaction_covers_known_secrets_environment_secrets_and_url_passwords() -> None:
    environ = {"OPENAI_API_KEY": "sk-from-the-environment", "HOME": "/home/ed", "PGPASSWORD": "pw"}
    assert secrets_in_environment(environ) == ["sk-from-the-environment", "pw"]
    redact = Redactor([TOKEN, *secrets_in_environment(environ)])
    text = (
        f"GET https://api.telegram.org/bot{TOKEN}/getMe with key sk-from-the-environment, "
        "postgresql://app:s3cret@db.internal:5432/news, pw stays (too short to be a secret)"
    )
    assert redact(text) == (
        "GET https://api.telegram.org/bot[REDACTED]/getMe with key [REDACTED], "
        "postgresql://app:[REDACTED]@db.internal:5432/news, pw stays (too short to be a secret)"
    )


def test_a_key_from_the_providers_own_variable_is_redacted_from_the_log_too(
    llm_env: FakeLLMProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    llm_env.mode = "auth"
    monkeypatch.delenv("NEWSDESK_LLM_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # read by the OpenAI client itself
    monkeypatch.setenv("NEWSDESK_LOG_LEVEL", "DEBUG")
    assert main(["ask", "who controls Qairawan?"]) == 2
    err = capsys.readouterr().err
    assert "Incorrect API key provided: [REDACTED]" in err  # the provider's echo, logged
    assert err.strip().splitlines()[-1] == f"newsdesk: error: {KEY_REFUSED}"
    assert KEY not in err
