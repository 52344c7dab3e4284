"""Talking to Telegram over a network that fails: which failures are worth another try, how
long to wait before it, and polling that comes back quickly once Telegram does.

python-telegram-bot's `AIORateLimiter` retries only 429 RetryAfter, and its polling loop
backs off up to 30 s, so a few 502s could cost an answer or half a minute of silence. Here:

- `TelegramRequest` tells a failure worth retrying (a 5xx answer, a dropped or refused
  connection: `TelegramUnavailable`; no answer in time: `TimedOut`) from a refusal (any other
  4xx, e.g. 400 "can't parse entities", which callers handle and retrying can't fix).
- `RetryingRateLimiter` retries those for every outgoing call, with exponential backoff and a
  bounded number of attempts, on top of the 429 handling it inherits.
- `PollingRequest` keeps retrying getUpdates itself, with backoff capped at a few seconds, so
  polling resumes within seconds of Telegram recovering however long it was down; and hands
  each batch of updates to a callback before python-telegram-bot can acknowledge it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.errors import NewsdeskError

log = logging.getLogger(__name__)

# Attempts per outgoing call, and the waits between them: 0.5, 1, 2, 4, 8, 8 s (23.5 s at
# most), enough to ride out a short outage without keeping a reader waiting indefinitely.
ATTEMPTS = 7
FIRST_WAIT_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 8.0
# Polling waits at most this long between failed getUpdates, so it resumes within this time
# (plus one request) of Telegram recovering.
LONGEST_POLL_WAIT_SECONDS = 2.0
# The getUpdates that marks the last updates read as the bot stops (no long poll): tried this
# many times, then given up, so that stopping never waits on Telegram (python-telegram-bot
# logs the failure and stops; the journal keeps an update fetched again from being answered
# twice).
MARKING_ATTEMPTS = 3
# How long a stuck pool's old client gets to close before it is left to the collector.
CLOSE_SECONDS = 5.0
# Calls that only decorate an answer: one try, so a failure never delays the answer itself.
# (The streamed drafts too: the final answer follows them in any case.)
BEST_EFFORT = frozenset({"sendChatAction", "sendMessageDraft"})
# python-telegram-bot's limiter counts every call to a group against the group's 20 messages
# a minute, typing actions too; so in a group a decoration goes at most once in this many
# seconds, and is skipped, not waited for, in between: a busy group's answers never queue
# behind them (one member's 10 questions took 10 of the 20 places; BENCHMARKS.md, "A flood
# in a group").
GROUP_DECORATION_EVERY_SECONDS = 12.0
# Groups remembered for that; past this many, those decorated longest ago are forgotten.
DECORATED_GROUPS_KEPT = 1024


class TelegramUnavailable(NetworkError, NewsdeskError):
    """Telegram answered 5xx, or the connection failed before any answer: worth retrying.
    A NetworkError, so python-telegram-bot's own loops treat it as one; once the retries are
    spent, the reader (if Telegram takes the reply) is told this plainly."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Telegram is not answering right now ({detail}); try again later")


RETRYABLE = (TelegramUnavailable, TimedOut)
Endpoint = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]
# Told of each failure worth another try: the Bot API method, and why (`retry_reason`).
OnRetry = Callable[[str, str], None]


def retry_reason(error: Exception) -> str:
    """retry_after (429 flood control), timed_out, or unavailable (5xx, lost connection)."""
    if isinstance(error, RetryAfter):
        return "retry_after"
    return "timed_out" if isinstance(error, TimedOut) else "unavailable"


def _not_told(method: str, reason: str) -> None:
    return None


def backoff_seconds(failures: int, longest: float) -> float:
    """The wait after the `failures`-th failure in a row: doubling from half a second."""
    return min(longest, FIRST_WAIT_SECONDS * 2.0 ** (failures - 1))


class TelegramRequest(HTTPXRequest):
    """HTTPXRequest whose failures say whether they are worth retrying."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        return await self._send(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )

    async def _send(self, *request: Any) -> tuple[int, bytes]:
        """One try of `do_request`'s arguments, its failure classified."""
        try:
            code, payload = await super().do_request(*request)
        except TimedOut:
            raise
        except NetworkError as error:  # httpx could not connect, or lost the connection
            raise TelegramUnavailable(str(error)) from error
        if code >= 500:
            raise TelegramUnavailable(f"Telegram answered HTTP {code}")
        return code, payload


class PollingRequest(TelegramRequest):
    """The getUpdates request: retried here until it succeeds (python-telegram-bot's Updater
    cancels it on shutdown), but for the one that marks updates read as the bot stops
    (MARKING_ATTEMPTS); and each batch of updates passed to `on_updates` before it is
    returned, that is before the next getUpdates acknowledges it to Telegram. Its one
    connection can be left checked out by a long poll cancelled at the wrong moment, and no
    later call would ever get it: on a pool timeout the client is replaced."""

    def __init__(
        self,
        on_updates: Callable[[list[dict[str, Any]]], None],
        on_retry: OnRetry = _not_told,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._on_updates = on_updates
        self._on_retry = on_retry

    async def _send(self, *request: Any) -> tuple[int, bytes]:
        failures = 0
        marking = _long_poll_seconds(request[2]) == 0
        while True:
            try:
                code, payload = await super()._send(*request)
            except RETRYABLE as error:
                failures += 1
                self._on_retry("getUpdates", retry_reason(error))
                if isinstance(error.__cause__, httpx.PoolTimeout):
                    await self._replace_client()
                if marking and failures >= MARKING_ATTEMPTS:
                    raise
                wait = backoff_seconds(failures, LONGEST_POLL_WAIT_SECONDS)
                log.warning("getUpdates failed (%s); polling again in %.1f s", error, wait)
                await asyncio.sleep(wait)
                continue
            if code == 200:
                self._on_updates(_updates_in(payload))
            return code, payload

    async def _replace_client(self) -> None:
        """A new client (and pool) for the next try; the old one closed, its stuck
        connection with it. (python-telegram-bot's own `initialize` builds one the same way.)"""
        stuck, self._client = self._client, self._build_client()
        log.warning("getUpdates: the connection pool was stuck; opened a new one")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(stuck.aclose(), CLOSE_SECONDS)


def _long_poll_seconds(data: RequestData | None) -> float | None:
    """The getUpdates `timeout` (the long poll's seconds) asked for, if any."""
    value = data.parameters.get("timeout") if data is not None else None
    return float(value) if isinstance(value, int | float) else None


def outgoing_request(timeout: float) -> TelegramRequest:
    """The request every call but getUpdates goes through: `timeout` to connect, send, read."""
    return TelegramRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)


def polling_request(
    timeout: float,
    on_updates: Callable[[list[dict[str, Any]]], None],
    on_retry: OnRetry = _not_told,
) -> PollingRequest:
    """The getUpdates request; python-telegram-bot adds the long-poll time to `timeout`."""
    return PollingRequest(
        on_updates,
        on_retry,
        connection_pool_size=1,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
    )


def _updates_in(payload: bytes) -> list[dict[str, Any]]:
    try:
        result = json.loads(payload).get("result")
    except (ValueError, AttributeError):
        return []  # python-telegram-bot reports the bad answer itself
    if not isinstance(result, list):
        return []
    return [update for update in result if isinstance(update, dict)]


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (flood limits, 429 RetryAfter) that also retries 5xx, timeouts and lost
    connections, `ATTEMPTS` times with exponential backoff. The fake Bot API, like Telegram,
    fails such a request before acting on it, so a retry doesn't duplicate a message; a real
    timeout after Telegram acted could, which is the price of not losing the answer.
    `on_retry` is told of each failure worth another try, a 429 included."""

    def __init__(self, on_retry: OnRetry = _not_told, **options: Any) -> None:
        super().__init__(**options)
        self._decorated: dict[int, float] = {}  # group -> time.monotonic() of its last one
        self._on_retry = on_retry

    def _skip_decoration(self, endpoint: str, data: dict[str, Any]) -> bool:
        """Whether to leave out this typing action (or draft): a group's decorated already
        in the last GROUP_DECORATION_EVERY_SECONDS."""
        try:
            chat_id = int(data.get("chat_id") or 0)
        except (TypeError, ValueError):
            return False
        if endpoint not in BEST_EFFORT or chat_id >= 0:
            return False
        now = time.monotonic()
        if now - self._decorated.get(chat_id, -math.inf) < GROUP_DECORATION_EVERY_SECONDS:
            return True
        self._decorated[chat_id] = now
        if len(self._decorated) > DECORATED_GROUPS_KEPT:
            oldest = sorted(self._decorated, key=self._decorated.__getitem__)
            for group in oldest[: len(oldest) // 2]:
                del self._decorated[group]
        return False

    async def process_request(
        self,
        callback: Endpoint,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if self._skip_decoration(endpoint, data):
            return True  # what Telegram answers a typing action
        attempts = 1 if endpoint in BEST_EFFORT else ATTEMPTS
        counted = self._counting_retry_after(callback, endpoint)
        for attempt in range(1, attempts + 1):
            try:
                return await super().process_request(
                    counted, args, kwargs, endpoint, data, rate_limit_args
                )
            except RETRYABLE as error:
                self._on_retry(endpoint, retry_reason(error))
                if attempt == attempts:
                    if attempts > 1:  # a best-effort call's caller says what it gave up
                        log.error("%s failed %d times (%s); giving up", endpoint, attempts, error)
                    raise
                wait = backoff_seconds(attempt, LONGEST_WAIT_SECONDS)
                log.warning("%s failed (%s); trying again in %.1f s", endpoint, error, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _counting_retry_after(self, callback: Endpoint, endpoint: str) -> Endpoint:
        """`callback`, telling `on_retry` of each 429 before AIORateLimiter waits it out."""

        async def counted(*args: Any, **kwargs: Any) -> bool | dict[str, Any] | list[Any]:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self._on_retry(endpoint, retry_reason(error))
                raise

        return counted
