"""The CLI's own error: a problem with the command line itself."""

from __future__ import annotations

from bot.errors import NewsdeskError


class CommandError(NewsdeskError):
    """A problem with the command line itself; printed like every NewsdeskError."""
