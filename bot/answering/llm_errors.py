"""What went wrong with the LLM provider, in one line a user can act on.

Providers raise their own exception classes (openai.AuthenticationError, anthropic.RateLimitError,
httpx.ReadTimeout, ...), and no provider package is required, so a failure is recognised by its
HTTP status and by the names of its classes, not by importing them. The provider's own text is
never part of the line: providers echo the API key back in it. It is logged at DEBUG, through
the redaction every log record gets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from index.errors import NewsdeskError

log = logging.getLogger(__name__)
T = TypeVar("T")

KEY_REFUSED = "the LLM provider refused the API key (check NEWSDESK_LLM_API_KEY)"
QUOTA = (
    "the LLM provider refused the request for quota or rate limits (HTTP 429): "
    "try again later, or check the account's plan"
)
TIMED_OUT = "the LLM provider did not answer in time; please try again in a moment"
UNREACHABLE = "could not reach the LLM provider (check the network and NEWSDESK_LLM)"
NO_SUCH_MODEL = "the LLM provider doesn't offer the model in NEWSDESK_LLM (HTTP 404)"


class LLMError(NewsdeskError):
    """A request to the LLM provider failed; the message says what to check."""


def ask_provider(call: Callable[[], T]) -> T:
    """`call()`, with any provider failure raised as one LLMError line."""
    try:
        return call()
    except NewsdeskError:
        raise
    except Exception as error:  # the provider's classes are not ours to list
        raise as_llm_error(error) from None


def as_llm_error(error: BaseException) -> LLMError:
    """A provider's failure as our one line; its own text is logged at DEBUG only."""
    log.debug("LLM request failed: %s: %s", type(error).__name__, error)
    return LLMError(describe_failure(error))


def describe_failure(error: BaseException) -> str:
    status = _status_code(error)
    names = " ".join(cls.__name__ for cls in type(error).__mro__)
    if status in (401, 403) or "Authentication" in names or "PermissionDenied" in names:
        return KEY_REFUSED
    if status == 429 or "RateLimit" in names:
        return QUOTA
    if "Timeout" in names or isinstance(error, TimeoutError):
        return TIMED_OUT
    if status == 404 or "NotFound" in names:
        return NO_SUCH_MODEL
    if status is not None and status >= 500:
        return f"the LLM provider failed (HTTP {status}); please try again in a moment"
    if "Connect" in names or isinstance(error, ConnectionError):
        return UNREACHABLE
    return (
        f"the LLM provider's reply could not be used ({type(error).__name__}); "
        "please try again, or check NEWSDESK_LLM"
    )


def _status_code(error: BaseException) -> int | None:
    for holder in (error, getattr(error, "response", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int):
            return status
    return None
