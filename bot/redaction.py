"""One redaction for every secret, applied to whatever is logged, printed or sent to a user:
log records and their tracebacks, CLI error lines, and Telegram replies, including text an
LLM provider or a server echoed back.

The secrets are the ones newsdesk knows (the bot token, NEWSDESK_LLM_API_KEY), the values of
environment variables named like secrets (OPENAI_API_KEY and the like, which provider SDKs
read themselves), and any password written into a URL (`scheme://user:password@host`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
# Shorter values would redact ordinary words; no real key or token is this short.
MIN_SECRET_CHARS = 6
_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|_SECRET|PASSWORD|_PASS)$", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*):([^@/\s]+)@")


class Redactor:
    """`redact(text)`: the text with each known secret, and any password in a URL, replaced
    by [REDACTED]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        unique = {secret.strip() for secret in secrets if len(secret.strip()) >= MIN_SECRET_CHARS}
        self.secrets = sorted(unique, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)


def secrets_in_environment(environ: Mapping[str, str]) -> list[str]:
    """The values of variables named like secrets: OPENAI_API_KEY, ANTHROPIC_API_KEY,
    GITHUB_TOKEN, PGPASSWORD and the like."""
    return [value for name, value in environ.items() if _SECRET_NAME.search(name) and value]


HIDDEN = "(withheld)"
# A URL of any scheme (a connection string is one), and a path of two or more parts.
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://\S+")
_PATH = re.compile(r"(?<![\w/.~-])[~.]{0,2}(?:/[\w.~+@-]+){2,}/?|\b[A-Za-z]:\\\S+")


def without_locations(text: str) -> str:
    """The text with every URL, connection string and file path withheld: for what a reader
    is told of an error (the log keeps them; they tell a stranger where and what to attack)."""
    return _PATH.sub(HIDDEN, _URL.sub(HIDDEN, text))
