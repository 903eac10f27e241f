"""Waiting for something another process or thread does: real processes take real time.
The tests and the benchmark wait the same way."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


class TimedOut(RuntimeError):
    """What was waited for did not happen in time (a test fails with it; `cxbot bench`
    reports it as a failed run, as it does every RuntimeError)."""


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
             what: str = "condition") -> T:
    """Poll until predicate() is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
