"""LINE WORKS' rate limits (reference §7.1), on `world.works.rate`.

Each API operation (a route: method + rule, whatever the ids) has its own budget per
tenant: `settings.api_calls_per_minute` (240 on Standard/Advanced), except room creation,
which has the plan-independent `settings.channel_create_per_minute` (10) instead. The
sandbox holds one tenant per world, so "per tenant" is "per world". 0 switches a limit
off (calls are still counted for `/_sandbox/rate`).

Every response of a limited operation carries `rateLimit-ssed` (sic, the docs' spelling:
calls used in the window), `rateLimit-limit`, `rateLimit-remaining` and `rateLimit-reset`
(whole wall seconds until the window resets, at least 1). Over the limit: 429
`TOO_MANY_REQUESTS`, checked before the token, the ids or the body, and not counted.
Calls that fail otherwise (400, 401, 404...) were served by the platform, so they count.

Not limited: the attachment download's 302 (the docs say it has no rate-limit headers),
and what is not an API operation: `/oauth2/...`, `/_upload/...`, `/_download/...`.

`settings.rate_limit_window` picks the window, which the docs leave open: "fixed" (a
counter that restarts at every window boundary) or "rolling" (any 60 s span).
`settings.time_scale` k shrinks the window to 60/k wall seconds, for benchmarks.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from flask import current_app, g, request

from ..clock import now
from .errors import ApiError

MINUTE = 60.0
ROOM_CREATION = "POST /v1.0/bots/<bot_id>/channels"
# The 302 that hands out a download URL carries no rate-limit headers (DOC:rate-limits),
# so the sandbox reads it as not limited at all.
NOT_LIMITED = frozenset({"GET /v1.0/bots/<bot_id>/attachments/<file_id>"})


@dataclass
class Operation:
    """One operation's counters; both readings are kept, so either can be reported."""

    calls: int = 0
    rejected: int = 0
    fixed_start: float = -1.0  # start of the fixed window `fixed_count` belongs to
    fixed_count: int = 0
    rolling: deque = field(default_factory=deque)  # times of accepted calls in the last span
    max_fixed: int = 0
    max_rolling: int = 0

    def used(self, reading: str, span: float, t: float) -> tuple[int, float]:
        """Calls counted against the window at `t`, and wall seconds until it resets."""
        if reading == "fixed":
            start = math.floor(t / span) * span
            return (self.fixed_count if self.fixed_start == start else 0), start + span - t
        while self.rolling and self.rolling[0] <= t - span:
            self.rolling.popleft()
        # A slot frees when the oldest call leaves the span.
        return len(self.rolling), (self.rolling[0] + span - t) if self.rolling else span

    def accept(self, span: float, t: float) -> None:
        start = math.floor(t / span) * span
        if self.fixed_start != start:
            self.fixed_start, self.fixed_count = start, 0
        self.fixed_count += 1
        while self.rolling and self.rolling[0] <= t - span:
            self.rolling.popleft()
        self.rolling.append(t)
        self.calls += 1
        self.max_fixed = max(self.max_fixed, self.fixed_count)
        self.max_rolling = max(self.max_rolling, len(self.rolling))


def headers(used: int, limit: int, reset: float) -> dict:
    return {
        "rateLimit-ssed": used,
        "rateLimit-limit": limit,
        "rateLimit-remaining": max(0, limit - used),
        "rateLimit-reset": max(1, math.ceil(reset - 1e-9)),  # float noise must not add a second
    }


class RateLimiter:
    """The operations' counters; shares the world's lock. Emptied by the world's reset."""

    def __init__(self, works) -> None:
        self.works = works
        self.lock = works.lock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.ops: dict[str, Operation] = {}

    def _params(self, op: str) -> tuple[int, str, float]:
        s = self.works.settings
        limit = s.channel_create_per_minute if op == ROOM_CREATION else s.api_calls_per_minute
        return limit, s.rate_limit_window, MINUTE / s.time_scale

    def take(self, op: str) -> tuple[bool, dict]:
        """Count one call to `op` if the window has room: (accepted, rateLimit headers)."""
        with self.lock:
            limit, reading, span = self._params(op)
            t = now()
            rec = self.ops.setdefault(op, Operation())
            used, reset = rec.used(reading, span, t)
            if limit > 0 and used >= limit:
                rec.rejected += 1
                return False, headers(used, limit, reset)
            rec.accept(span, t)
            if limit <= 0:
                return True, {}
            used, reset = rec.used(reading, span, t)
            return True, headers(used, limit, reset)

    def full_headers(self, op: str | None) -> dict:
        """The headers of a 429 for `op` without counting: for an injected 429 fault."""
        with self.lock:
            limit, reading, span = self._params(op or "")
            if limit <= 0:
                limit = 240  # the documented limit when the sandbox's is off
            rec = self.ops.get(op) if op else None
            _, reset = (rec or Operation()).used(reading, span, now())
            return headers(limit, limit, reset)

    def to_json(self) -> dict:
        with self.lock:
            s = self.works.settings
            span = MINUTE / s.time_scale
            ops = {}
            for op, rec in sorted(self.ops.items()):
                limit, reading, _ = self._params(op)
                ops[op] = {
                    "limit": limit,
                    "calls": rec.calls,
                    "rejected": rec.rejected,
                    "maxInWindow": rec.max_fixed if reading == "fixed" else rec.max_rolling,
                }
            return {"window": s.rate_limit_window, "timeScale": s.time_scale,
                    "windowSeconds": span, "operations": ops}


def operation() -> str | None:
    """This request's API operation (`"POST /v1.0/bots/<bot_id>/channels"`), or None if it
    is not a limited one."""
    rule = request.url_rule
    if rule is None or not rule.rule.startswith("/v1.0/") or request.method == "OPTIONS":
        return None
    op = f"{request.method} {rule.rule}"
    return None if op in NOT_LIMITED else op


def install(app) -> None:
    """Hooks run after traffic.py's fault injection: a faulted request is not counted."""

    @app.before_request
    def _take_slot():
        op = operation()
        if op is None:
            return None
        accepted, g.sandbox_rate_headers = current_app.world.works.rate.take(op)
        if not accepted:
            return ApiError(429, "TOO_MANY_REQUESTS", "API rate limit exceeded").response()
        return None

    @app.after_request
    def _rate_headers(resp):
        for name, value in g.get("sandbox_rate_headers", {}).items():
            resp.headers[name] = str(value)
        return resp
