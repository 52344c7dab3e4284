"""What an article is, once loaded from any format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

_DATE_PATTERNS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d %B %Y", "%B %d, %Y")


@dataclass(frozen=True)
class Article:
    """One news article; `key` is its stable identity (url, or file path with a record id)."""

    key: str
    title: str
    text: str
    url: str = ""
    source: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) when it could be read, else as given


@dataclass(frozen=True)
class LoadProblem:
    """A file, line or record that could not be read, with the reason shown to the operator."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def normalize_date(raw: object) -> str:
    """Return an ISO date for the common shapes news feeds use, or the input as text."""
    if raw is None:
        return ""
    if isinstance(raw, datetime | date):
        return raw.isoformat()[:10]
    text = str(raw).strip()
    if not text:
        return ""
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        return iso.group(0)
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return text[:40]
