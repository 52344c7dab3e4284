"""The one error base class of newsdesk, whose message is shown to the user as it is.

It lives in `index/` because `index/` imports nothing from `bot/`, and the indexing side has
user-facing errors too (a store that can't be opened, a model that can't be loaded). `bot/`
uses it through `bot.errors`. Every error that a front end shows to a person subclasses it,
so the CLI and the Telegram error handler catch this one class, not a hand-kept list.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """A problem the user can understand and fix; `str(error)` is the message they see.

    The message must not contain secrets or a traceback: it is printed and sent as it is."""
