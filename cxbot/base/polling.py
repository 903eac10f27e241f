"""The loop of a thread that takes work from the database: the worker's (stored events) and
the outbox drainers' (outbound calls)."""

from __future__ import annotations

import logging
import threading
from typing import Callable


def poll(stop: threading.Event, run_once: Callable[[bool], int], wait: Callable[[], bool],
         log: logging.Logger, what: str) -> None:
    """Call `run_once(look)` until `stop` is set. After a round that found work the next
    one comes at once and skips looking first (there is likely more); after an idle round,
    or an error (logged, then a second's pause), `wait()` blocks until the next round
    and says whether that round looks first."""
    look = True
    while not stop.is_set():
        try:
            if run_once(look):
                look = False  # busy: there is likely more
                continue
        except Exception:
            log.exception("%s error; retrying", what)
            stop.wait(1.0)
        look = wait()
