"""Observability: /metrics and /healthz on NEWSDESK_METRICS_PORT, scraped over HTTP from the
real Application polling (or serving a webhook for) the fake Bot API; the settings that turn
them on; a port already taken; and JSON log lines, redacted."""

from __future__ import annotations

import io
import json
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from bot.answering.chain import QuestionError
from bot.answering.llm_errors import LLMError
from bot.cli.main import main
from bot.logs import configure_logging
from bot.redaction import Redactor
from bot.settings import PROJECT_DIR
from bot.state.database import DatabaseError
from bot.telemetry import ERROR_KINDS, Telemetry, error_kind
from bot.wiring.bot import BotServices, build_bot
from index.embeddings import SentenceTransformerEmbeddings
from index.store import StoreError
from tests.conftest import make_settings
from tests.support.bot_runner import TOKEN, BotRunner, free_port, start_bot_process
from tests.support.fake_telegram import FakeBotAPI

QUESTION = "who controls Qairawan?"
ADMIN = 7001


@pytest.fixture
def runner() -> Iterator[BotRunner]:
    running = BotRunner()
    yield running
    running.stop_all()


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample on /metrics: (name, sorted labels) -> value."""
    status, text = get(port, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_and_healthz_in_polling_mode_after_a_question(
    runner: BotRunner, seed_bot: BotServices, seed_home: Path, tmp_path: Path
) -> None:
    port = free_port()
    settings = {"NEWSDESK_METRICS_PORT": port}
    fake = runner.start(lambda **values: make_settings(tmp_path, **settings, **values), seed_bot)
    before = scrape(port)
    assert value(before, "newsdesk_questions_total") == 0
    assert value(before, "newsdesk_answer_latency_seconds_count") == 0
    assert ("newsdesk_refusals_total", (("reason", "unsupported"),)) in before, "shown at 0"

    fake.push_message(QUESTION)
    fake.wait_for(lambda: len(fake.delivered()) >= 1)
    after = scrape(port)
    assert value(after, "newsdesk_questions_total") == 1
    assert value(after, "newsdesk_answer_latency_seconds_count") == 1
    assert 0 < value(after, "newsdesk_answer_latency_seconds_sum") < 60
    assert value(after, "newsdesk_refusals_total", reason="not_covered") == 0
    assert value(after, "newsdesk_index_chunks") == seed_bot.answering.store.count() > 0
    assert value(after, "newsdesk_job_queue_depth", status="queued") == 0
    assert ("newsdesk_job_queue_depth", (("status", "running"),)) in after

    status, body = get(port, "/healthz")
    report = json.loads(body)
    assert status == 200 and report["ready"] is True
    assert report["store"] == {"ok": True, "chunks": seed_bot.answering.store.count()}
    for path in (str(tmp_path), str(seed_home), str(PROJECT_DIR)):
        assert path not in body, "no path: /healthz may be seen by more than the operator"
    assert get(port, "/")[0] == 404 and get(port, "/metrics/../etc")[0] == 404

    # The shared database gone from under the bot: /healthz says not ready, and why, without
    # the path; /metrics still answers, without the gauge it could not read.
    database = tmp_path / "newsdesk.sqlite"
    database.unlink()
    database.mkdir()
    runner.running[0].application.bot_data.state.database.engine.dispose()
    status, body = get(port, "/healthz")
    assert status == 503 and json.loads(body)["database"] == {
        "ok": False,
        "error": "DatabaseError (details in the log)",
    }
    status, text = get(port, "/metrics")
    assert status == 200 and "newsdesk_job_queue_depth{" not in text
    assert "newsdesk_questions_total 1.0" in text
    for shown in (body, text):
        assert str(tmp_path) not in shown and "sqlite" not in shown


def test_refusals_errors_and_telegram_retries_are_counted(
    runner: BotRunner, seed_bot: BotServices, tmp_path: Path
) -> None:
    port = free_port()
    settings = {"NEWSDESK_METRICS_PORT": port, "NEWSDESK_MAX_QUESTION_CHARS": 100}
    fake = runner.start(lambda **values: make_settings(tmp_path, **settings, **values), seed_bot)
    fake.push_message("what does a kilo of saffron cost in Madrid this winter?")
    fake.wait_for(lambda: len(fake.delivered()) >= 1)
    fake.push_message("x" * 101)  # longer than NEWSDESK_MAX_QUESTION_CHARS: a QuestionError
    fake.wait_for(lambda: len(fake.delivered()) >= 2)
    fake.fail("sendMessage", 502)
    fake.fail("sendMessage", 429)
    fake.push_message(QUESTION)
    fake.wait_for(lambda: len(fake.delivered()) >= 3)

    samples = scrape(port)
    assert value(samples, "newsdesk_questions_total") == 3
    assert value(samples, "newsdesk_refusals_total", reason="not_covered") == 1
    assert value(samples, "newsdesk_question_errors_total", kind="question") == 1
    assert value(samples, "newsdesk_answer_latency_seconds_count") == 2  # errors aren't timed
    retried = {"method": "sendMessage"}
    assert value(samples, "newsdesk_telegram_retries_total", **retried, reason="unavailable") == 1
    assert value(samples, "newsdesk_telegram_retries_total", **retried, reason="retry_after") == 1


def test_indexing_runs_are_counted_and_the_index_size_follows(
    runner: BotRunner, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    sources = tmp_path / "desk"
    sources.mkdir()
    story = "The council of Tal Sufouq met on Monday and elected Ahmed Jabouri as its mayor."
    (sources / "one.txt").write_text(f"Mayor elected\n\n{story}")
    prompts = tmp_path / "prompts"
    shutil.copytree(PROJECT_DIR / "prompts", prompts)
    port = free_port()
    values: dict[str, object] = {
        "NEWSDESK_ADMIN_IDS": str(ADMIN),
        "NEWSDESK_SOURCES": str(sources),
        "NEWSDESK_FEED_POLL_MINUTES": "0",
        "NEWSDESK_PROMPTS_DIR": str(prompts),
        "NEWSDESK_METRICS_PORT": port,
    }
    parts = build_bot(make_settings(tmp_path, **values), embeddings=embeddings)
    fake = runner.start(lambda **telegram: make_settings(tmp_path, **values, **telegram), parts)
    assert value(scrape(port), "newsdesk_index_chunks") == 0
    fake.push_message(QUESTION)
    fake.wait_for(lambda: len(fake.delivered()) >= 1)
    assert value(scrape(port), "newsdesk_refusals_total", reason="empty_index") == 1
    fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    fake.wait_for(lambda: len(fake.delivered(ADMIN)) >= 2)  # started, then the report

    samples = scrape(port)
    assert value(samples, "newsdesk_indexing_runs_total", outcome="done") == 1
    assert value(samples, "newsdesk_indexed_articles_total", change="new") == 1
    added = value(samples, "newsdesk_indexed_chunks_total", change="added")
    assert added >= 1
    assert value(samples, "newsdesk_index_chunks") == added == parts.answering.store.count()


def test_webhook_mode_serves_metrics_on_its_own_port_and_keeps_its_healthz(
    runner: BotRunner, seed_bot: BotServices, tmp_path: Path
) -> None:
    port = free_port()
    settings = {"NEWSDESK_METRICS_PORT": port}
    fake = runner.start_webhook(
        lambda **values: make_settings(tmp_path, **settings, **values), seed_bot
    )
    fake.push_message(QUESTION)
    fake.wait_for(lambda: len(fake.delivered()) >= 1)
    assert value(scrape(port), "newsdesk_questions_total") == 1
    status, body = get(port, "/healthz")
    assert status == 200 and json.loads(body)["ready"] is True
    webhook_port = runner.running[0].application.bot_data.settings.webhook_port
    assert get(webhook_port, "/healthz")[0] == 200
    assert get(webhook_port, "/metrics")[0] in (404, 405), "metrics only on their own port"


def test_a_port_in_use_is_one_clear_line_before_telegram_is_called(tmp_path: Path) -> None:
    fake = FakeBotAPI(TOKEN).start()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    log = tmp_path / "bot.log"
    try:
        process = start_bot_process(
            tmp_path / "home",
            fake,
            log=log,
            NEWSDESK_METRICS_PORT=str(port),
            NEWSDESK_LOG_FORMAT="json",
            NEWSDESK_LOG_LEVEL="DEBUG",
        )
        try:
            code = process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert [name for name, _ in fake.calls] == [], "nothing asked of Telegram"
    finally:
        taken.close()
        fake.stop()
    output = log.read_text()
    error = f"newsdesk: error: NEWSDESK_METRICS_PORT={port} on NEWSDESK_METRICS_LISTEN=127.0.0.1"
    assert code == 2 and f"{error}: the port is already in use" in output
    assert "Traceback" not in output and TOKEN not in output
    # Everything logged before it is one JSON object a line.
    logged = [line for line in output.splitlines() if not line.startswith("newsdesk: ")]
    assert logged, "the bot logged its start-up"
    assert all(isinstance(json.loads(line), dict) for line in logged)


def test_the_indexer_role_serves_metrics_and_healthz_until_stopped(tmp_path: Path) -> None:
    """A real `newsdesk bot` process in NEWSDESK_ROLE=indexer (no updates taken, so no
    webhook's /healthz either): /healthz and /metrics on the metrics port, gone after SIGTERM."""
    fake = FakeBotAPI(TOKEN).start()
    port = free_port()
    process = start_bot_process(
        tmp_path / "home", fake, NEWSDESK_ROLE="indexer", NEWSDESK_METRICS_PORT=str(port)
    )
    try:
        deadline = time.monotonic() + 300
        while (found := _reachable(port)) is None and process.poll() is None:
            assert time.monotonic() < deadline, "no /healthz within 300 s"
            time.sleep(0.2)
        assert found == 200
        samples = scrape(port)
        assert value(samples, "newsdesk_index_chunks") == 0
        assert value(samples, "newsdesk_job_queue_depth", status="queued") == 0
        assert value(samples, "newsdesk_questions_total") == 0
        process.terminate()
        assert process.wait(timeout=60) == 0
        assert _reachable(port) is None, "the server stops with the process"
    finally:
        if process.poll() is None:
            process.kill()
        fake.stop()


def _reachable(port: int) -> int | None:
    """/healthz's status, or None while nothing listens."""
    try:
        return get(port, "/healthz")[0]
    except OSError:
        return None


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("70000", "less than or equal to 65535"),
        ("0", "greater than or equal to 1"),
        ("abc", "valid integer"),
        ("9100.5", "valid integer"),
        ("9" * 5000, "as an integer, exceeded maximum size"),
    ],
)
def test_a_bad_metrics_port_is_a_clear_settings_error(
    setting: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValidationError, match=said):
        make_settings(tmp_path, NEWSDESK_METRICS_PORT=setting)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_METRICS_PORT", setting)
    assert main(["ask", QUESTION]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsdesk: error: invalid settings: NEWSDESK_METRICS_PORT: ")
    assert said in err and len(err) < 500


def test_metrics_are_off_unless_a_port_is_set(tmp_path: Path) -> None:
    assert make_settings(tmp_path).metrics_port is None
    assert make_settings(tmp_path, NEWSDESK_METRICS_PORT=" ").metrics_port is None
    configured = make_settings(
        tmp_path, NEWSDESK_METRICS_PORT="9100", NEWSDESK_METRICS_LISTEN="0.0.0.0"
    )
    assert (configured.metrics_port, configured.metrics_listen) == (9100, "0.0.0.0")
    assert make_settings(tmp_path).metrics_listen == "127.0.0.1"
    with pytest.raises(ValidationError, match="NEWSDESK_LOG_FORMAT"):
        make_settings(tmp_path, NEWSDESK_LOG_FORMAT="xml")
    assert make_settings(tmp_path, NEWSDESK_LOG_FORMAT=" JSON ").log_format == "json"


def test_each_application_has_a_registry_of_its_own() -> None:
    first, second = Telemetry(), Telemetry()  # a second would collide in a shared registry
    first.questions.inc()
    assert b"newsdesk_questions_total 1.0" in first.exposition()
    assert b"newsdesk_questions_total 0.0" in second.exposition()
    assert not [name for name in REGISTRY._names_to_collectors if name.startswith("newsdesk")]


def test_a_gauge_that_fails_to_read_is_left_out_of_the_scrape() -> None:
    telemetry = Telemetry()

    def unreachable() -> int:
        raise StoreError("the store at /srv/secret/chroma can't be opened")

    telemetry.gauges.index_chunks = unreachable
    telemetry.gauges.jobs = lambda: {"queued": 2, "running": 1}
    text = telemetry.exposition().decode()
    assert "newsdesk_index_chunks " not in text and "/srv/secret" not in text
    assert 'newsdesk_job_queue_depth{status="queued"} 2.0' in text


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (QuestionError("empty"), "question"),
        (LLMError("timed out"), "llm"),
        (DatabaseError("locked", transient=True), "database"),
        (StoreError("gone"), "store"),
        (RuntimeError("a bug"), "internal"),
    ],
)
def test_errors_are_counted_by_a_few_kinds(error: Exception, kind: str) -> None:
    assert error_kind(error) == kind
    assert kind in ERROR_KINDS, "a kind the metrics show at 0 from the start"


def test_json_logs_are_one_object_a_line_with_secrets_redacted() -> None:
    api_key = "sk-live-0123456789abcdef"
    buffer = io.StringIO()
    configure_logging(
        "INFO", Redactor([TOKEN, api_key]), logging.StreamHandler(buffer), log_format="json"
    )
    try:
        log = logging.getLogger("newsdesk.test")
        log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        log.warning('two lines:\nkey=%s\nand a "quote"', api_key)
        try:
            raise RuntimeError(f"provider said: bad key {api_key}")
        except RuntimeError:
            log.exception("LLM request failed")
        log.error("a URL password: postgresql://newsdesk:hunter22@db/newsdesk")
        log.debug("not at INFO")
    finally:
        logging.getLogger().handlers = []
    lines = buffer.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4, lines
    assert [r["level"] for r in records] == ["INFO", "WARNING", "ERROR", "ERROR"]
    assert {r["logger"] for r in records} == {"newsdesk.test"}
    assert all(r["time"].endswith("+00:00") for r in records)
    assert records[0]["message"] == "calling https://api.telegram.org/bot[REDACTED]/getMe"
    assert records[1]["message"] == 'two lines:\nkey=[REDACTED]\nand a "quote"'
    assert "Traceback" in records[2]["message"] and "bad key [REDACTED]" in records[2]["message"]
    assert "newsdesk:[REDACTED]@db" in records[3]["message"]
    output = buffer.getvalue()
    assert TOKEN not in output and api_key not in output and "hunter22" not in output
