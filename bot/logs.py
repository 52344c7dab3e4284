"""Logging set up once at the entry point, with secrets redacted from every record."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.redaction import Redactor

NOISY_LOGGERS = (
    *("httpx", "httpx2", "httpcore", "chromadb", "sentence_transformers", "urllib3"),
    *("openai", "anthropic"),
    # The job queue's scheduler logs two INFO lines per run of every job: the indexer role
    # polls its queue every 2 s, which would bury everything else.
    "apscheduler",
)


class RedactSecrets(logging.Filter):
    """Passes each record's formatted message and traceback through the one redaction."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and _is_refused_token(record.exc_info[1]):
            record.exc_info = None  # the CLI says it in one line; the traceback adds nothing
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = self.redact(message), None
        return True


def _is_refused_token(error: BaseException | None) -> bool:
    from telegram.error import InvalidToken  # python-telegram-bot logs it before raising it

    return isinstance(error, InvalidToken)


class JsonLines(logging.Formatter):
    """One JSON object a line (NEWSDESK_LOG_FORMAT=json), for log collectors: time (UTC, ISO
    8601), level, logger and message. The message is the one `RedactSecrets` left, a
    traceback folded in and redacted, so JSON logs hide every secret text logs hide."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    level: str,
    redact: Redactor,
    handler: logging.Handler | None = None,
    log_format: str = "text",
) -> None:
    """Root logging to stderr (or `handler`), as text lines or, with `log_format` "json", one
    JSON object a line; httpx would log every request URL, and Telegram request URLs contain
    the bot token, so it only logs warnings."""
    handler = handler or logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets(redact))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # The LLM clients log each retry; the failure that counts reaches the user as one line.
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
