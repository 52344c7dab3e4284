"""What a feed URL must be, and the reader of the feed list as older versions kept it (a
JSON file in the data directory), imported once into the shared records."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from index.errors import NewsdeskError

MAX_FEED_URL_CHARS = 2000


class FeedListError(NewsdeskError):
    """The feed list can't be read or the URL can't be added; the message says why."""


def check_feed_url(url: str) -> str:
    """The URL, stripped, if it can be a feed's; else FeedListError saying why."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedListError(f"not an http(s) feed URL: {url[:200]!r}")
    if len(url) > MAX_FEED_URL_CHARS:
        raise FeedListError(f"a feed URL is at most {MAX_FEED_URL_CHARS} characters")
    return url


def read_feed_file(path: Path) -> list[str]:
    """The URLs of a feed list file `{"feeds": [URL, ...]}`, in order; [] if there is none."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FeedListError(f"the feed list {path} can't be read ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        raise FeedListError(f'the feed list {path} should hold {{"feeds": [URL, ...]}}')
    return [str(url) for url in data["feeds"]]
