"""The sandbox's clock and the timestamp formats the platforms write.

Every reading is `time.time()`, looked up at each call, so tests can move time with
freezegun.
"""

from __future__ import annotations

import time


def now() -> float:
    return time.time()


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(t: float) -> str:
    """`YYYY-MM-DDThh:mm:ss.SSSZ` in UTC: LINE WORKS' callback `issuedTime`, LINE's test
    API `timestamp`, the mail lists' times."""
    whole = int(t)
    ms = int(round((t - whole) * 1000))
    if ms == 1000:
        whole, ms = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"
