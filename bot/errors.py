"""Errors shown to users: every one subclasses `NewsdeskError`, whose message is shown as it
is (`newsdesk: error: ...` on the CLI, the reply itself in Telegram).

The base class is defined in `index.errors` (so the indexing side can use it without
importing `bot/`) and re-exported here, the place the front ends import it from. The errors
themselves stay beside the code that raises them; `tests/test_layout.py` checks that every
exception class in `bot/` and `index/` subclasses this one.
"""

from __future__ import annotations

from index.errors import NewsdeskError

__all__ = ["NewsdeskError"]
