"""The operator's list of feeds, kept as a small JSON file in the data directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from index.errors import NewsdeskError


class FeedListError(NewsdeskError):
    """The feed list can't be read or the URL can't be added; the message says why."""


class FeedList:
    """Feed URLs in the order they were added. Every change rewrites the file atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def urls(self) -> list[str]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise FeedListError(f"the feed list {self.path} can't be read ({error})") from error
        if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
            raise FeedListError(f'the feed list {self.path} should hold {{"feeds": [URL, ...]}}')
        return [str(url) for url in data["feeds"]]

    def add(self, url: str) -> bool:
        """Add a feed; False if it was already listed."""
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FeedListError(f"not an http(s) feed URL: {url!r}")
        urls = self.urls()
        if url in urls:
            return False
        self._write([*urls, url])
        return True

    def remove(self, url: str) -> bool:
        """Remove a feed; False if it wasn't listed."""
        urls = self.urls()
        if url.strip() not in urls:
            return False
        self._write([u for u in urls if u != url.strip()])
        return True

    def _write(self, urls: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(self.path.name + ".new")
        staging.write_text(json.dumps({"feeds": urls}, indent=2) + "\n", encoding="utf-8")
        os.replace(staging, self.path)
