"""Retrying a platform call: on an error that says it is worth another try, wait as the
platform asked (capped), or else with jittered exponential backoff."""

from __future__ import annotations

from typing import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential


def retrying(error: type[Exception], *, attempts: int, sleep: Callable[[float], None], backoff_max: float,
             asked_wait: Callable[[Exception], float | None], most_wait: float) -> Retrying:
    """Up to `attempts` tries while the call raises an `error` whose `retryable` is true;
    `asked_wait(exc)` is the wait the platform asked for, None when it did not say."""
    backoff = wait_random_exponential(multiplier=0.5, max=backoff_max)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = asked_wait(exc) if isinstance(exc, error) else None
        return min(asked, most_wait) if asked is not None else backoff(state)

    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait,
        retry=retry_if_exception(lambda e: isinstance(e, error) and e.retryable),
        sleep=sleep,
        reraise=True,
    )
