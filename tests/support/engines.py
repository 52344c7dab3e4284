"""What a test does when an engine it needs (Postgres, a `chroma run` server) can't be had
here: outside CI it is skipped with the reason; in CI (`CI` set, as `.ci/run` runs) it fails,
so a green CI run proves the tests on real engines ran."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def engine_unavailable(reason: str) -> NoReturn:
    """Skip the test saying why, or in CI fail it."""
    if in_ci():
        pytest.fail(f"CI needs this engine for its tests: {reason}")
    pytest.skip(reason)
