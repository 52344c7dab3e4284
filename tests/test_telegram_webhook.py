"""Webhook mode: the real Application behind our webhook server on 127.0.0.1, the fake Bot
API posting updates to it as Telegram does; the secret token, hostile bodies and /healthz."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from bot.cli.main import main
from bot.logs import configure_logging
from bot.redaction import Redactor
from bot.telegram.webhook import webhook_path
from bot.wiring.bot import BotServices
from tests.conftest import make_settings
from tests.support.bot_runner import TOKEN, BotRunner
from tests.support.fake_telegram import FakeBotAPI

StartBot = Callable[..., FakeBotAPI]


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    runner = BotRunner()

    def start(parts: BotServices, **settings: object) -> FakeBotAPI:
        return runner.start_webhook(
            lambda **values: make_settings(tmp_path, **values, **settings), parts
        )

    yield start
    runner.stop_all()


def get(fake: FakeBotAPI, path: str) -> tuple[int, dict[str, Any]]:
    """GET `path` on the bot's webhook server: (status, JSON body)."""
    assert fake.webhook is not None
    url = fake.webhook[0]
    url = url[: url.index("/", len("http://"))] + path
    try:
        with urlopen(url, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except HTTPError as error:
        return int(error.code), json.loads(error.read())


def update_body(update_id: int, text: str) -> bytes:
    message = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 111, "type": "private", "first_name": "Reader"},
        "from": {"id": 111, "is_bot": False, "first_name": "Reader"},
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def test_updates_posted_to_the_webhook_are_answered(
    start_bot: StartBot, seed_bot: BotServices, tmp_path: Path
) -> None:
    log = io.StringIO()
    secrets = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN).secrets()
    configure_logging("DEBUG", Redactor(secrets), logging.StreamHandler(log))
    try:
        fake = start_bot(seed_bot)
        (registered,) = fake.sent("setWebhook")
        assert registered["url"].endswith("/telegram") and registered["secret_token"]
        fake.push_message("who controls Qairawan?")
        fake.push_message("/help")
        fake.wait_for(lambda: len(fake.delivered()) >= 2)
    finally:
        logging.getLogger().handlers = []
    first, second = fake.delivered()
    assert "Qairawan" in first and "I answer questions" in second  # in order
    assert [status for _, status in fake.webhook_replies] == [200, 200]
    assert not fake.sent("getUpdates"), "no polling in webhook mode"
    secret, logged = str(registered["secret_token"]), log.getvalue()
    assert "setWebhook" in logged and "[REDACTED]" in logged
    assert TOKEN not in logged and secret not in logged


def test_an_update_without_the_secret_gets_403_and_is_not_handled(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    assert fake.webhook is not None
    secret = fake.webhook[1]
    body = update_body(10_000_001, "who controls Qairawan?")
    assert fake.post_to_webhook(body, None)[0] == 403
    assert fake.post_to_webhook(body, "wrong-secret")[0] == 403
    assert fake.post_to_webhook(body, secret[:-1])[0] == 403
    assert fake.post_to_webhook(body, "é" + secret)[0] == 403  # not ASCII: still just refused
    # The same update with the secret is answered: the refusals above were about the secret.
    assert fake.post_to_webhook(body, secret)[0] == 200
    fake.wait_for(lambda: len(fake.delivered()) >= 1)
    (answer,) = fake.delivered()
    assert "Qairawan" in answer
    assert get(fake, "/healthz")[0] == 200, "the server still serves after hostile bodies"


def deep_json(depth: int) -> bytes:
    return b'{"update_id": 8, "message": ' + b"[" * depth + b"]" * depth + b"}"


def test_a_malformed_update_with_the_secret_gets_200_and_is_logged(
    start_bot: StartBot, seed_bot: BotServices, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram delivers updates in order and retries one that got no 200: a 400 or 500
    would hold up every later update. So a body carrying the secret is acknowledged whatever
    it holds; what can't be handled is logged and dropped, and no handler crashes on it."""
    fake = start_bot(seed_bot)
    assert fake.webhook is not None
    secret = fake.webhook[1]
    chatless = json.loads(update_body(9, "who controls Qairawan?"))
    del chatless["message"]["chat"]
    malformed = [
        b'{"update_id": 7, "message": "hi"}',
        update_body(2**70, "who controls Qairawan?"),
        update_body(-1, "who controls Qairawan?"),
        deep_json(100_000),
        json.dumps(chatless).encode(),
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"update_id": "1"}',
        b'{"message": {"text": "no update id"}}',
        b'{"update_id": 5, "message": {"chat": "not a chat"}}',
        b'{"update_id": 6, "message": "' + b"x" * (2 * 1024 * 1024) + b'"}',
    ]
    with caplog.at_level(logging.WARNING):
        statuses = [fake.post_to_webhook(raw, secret)[0] for raw in malformed]
        question = update_body(10_000_002, "who controls Qairawan?")
        assert fake.post_to_webhook(question, secret)[0] == 200
        fake.wait_for(lambda: len(fake.delivered()) >= 1)
    assert statuses == [200] * len(malformed)
    dropped = [r for r in caplog.records if "update dropped" in r.getMessage()]
    assert len(dropped) == len(malformed), [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no handler crashed"
    (answer,) = fake.delivered()
    assert "Qairawan" in answer


def test_telegram_failing_set_webhook_at_start_is_waited_out(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    runner = BotRunner()
    fake = FakeBotAPI(TOKEN).start()
    fake.fail("setWebhook", 500, times=6)  # more than one call's own retries
    try:
        runner.start_webhook(
            lambda **values: make_settings(tmp_path, **values), seed_bot, fake=fake
        )
        fake.push_message("/help")
        fake.wait_for(lambda: len(fake.delivered()) >= 1)
    finally:
        runner.stop_all()
    assert [m for m, fault, _ in fake.injected] == ["setWebhook"] * 6
    assert "I answer questions" in fake.delivered()[0]


def test_healthz_reports_store_database_and_index_size(
    seed_bot: BotServices, tmp_path: Path
) -> None:
    runner = BotRunner()
    fake = runner.start_webhook(lambda **values: make_settings(tmp_path, **values), seed_bot)
    try:
        check_healthz(fake, runner, seed_bot, tmp_path)
    finally:
        runner.stop_all()


def check_healthz(
    fake: FakeBotAPI, runner: BotRunner, seed_bot: BotServices, tmp_path: Path
) -> None:
    status, report = get(fake, "/healthz")
    assert status == 200 and report["ready"] is True
    chunks = seed_bot.answering.store.count()
    assert report["store"] == {"ok": True, "chunks": chunks}
    assert report["database"] == {"ok": True}
    assert report["keyword_index"] == {"ok": True, "chunks": chunks}
    assert report["updates_waiting"] == 0

    # The shared database gone from under the bot (a folder where its file was, and the
    # pooled connections to the old file closed): not ready, and said why.
    database = tmp_path / "newsdesk.sqlite"
    database.unlink()
    database.mkdir()
    runner.running[0].application.bot_data.state.database.engine.dispose()
    status, report = get(fake, "/healthz")
    assert status == 503 and report["ready"] is False
    assert report["database"] == {"ok": False, "error": "DatabaseError (details in the log)"}
    assert report["store"]["ok"] is True
    assert str(tmp_path) not in json.dumps(report), "no path: /healthz may be seen by anyone"


def test_webhook_mode_needs_a_usable_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    assert main(["bot", "--webhook"]) == 2
    assert "webhook mode needs NEWSDESK_WEBHOOK_URL" in capsys.readouterr().err
    monkeypatch.setenv("NEWSDESK_WEBHOOK_URL", "ftp://bot.example.org/x")
    assert main(["bot"]) == 2
    assert "must be an https URL" in capsys.readouterr().err
    monkeypatch.setenv("NEWSDESK_WEBHOOK_SECRET", "no spaces allowed")
    assert main(["bot"]) == 2
    assert "NEWSDESK_WEBHOOK_SECRET" in capsys.readouterr().err
    assert webhook_path("https://bot.example.org") == "/telegram"
    assert webhook_path("https://bot.example.org/hook/") == "/hook"
