"""The shared state (answer log, prompt versions, feeds, uploads, conversation memory, rate
limits, jobs), opened and migrated for the commands that keep state; a one-off question never
imports this."""

from __future__ import annotations

import threading

from bot.settings import Settings
from bot.state.shared import SharedState, open_shared_state

_opened: dict[str, SharedState] = {}
_opening = threading.Lock()


def open_state(settings: Settings) -> SharedState:
    """The shared state in NEWSDESK_DATABASE_URL (default SQLite under NEWSDESK_HOME), opened
    once per process: migrated to the newest schema, and the files older versions kept under
    NEWSDESK_HOME imported the first time. Only commands that keep state open it."""
    url = settings.database_url
    with _opening:
        if url not in _opened:
            _opened[url] = open_shared_state(url, settings.home)
        return _opened[url]
