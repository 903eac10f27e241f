"""What happens to every platform request before and after its route: fault
injection and the request log, on `world.traffic`.

Platform requests are those a bot server makes. The LINE WORKS ones (`/oauth2/...`,
`/v1.0/...` and the file URLs `/_upload/...`, `/_download/...`) are faulted and logged
here; the LINE ones (`/line/...`, `/line-data/...`) by line/api.py, with LINE's
error bodies, in the same log. Control-API and page requests are not logged and
cannot be faulted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from flask import Flask, current_app, g, jsonify, request

from .clock import now
from .works.limits import operation

PLATFORM_PREFIXES = ("/oauth2/", "/v1.0/", "/_upload/", "/_download/")

FAULT_BODIES = {
    400: ("INVALID_PARAMETER", "Invalid parameter (injected fault)"),
    401: ("UNAUTHORIZED", "The access token is invalid or has expired (injected fault)"),
    403: ("FORBIDDEN", "Forbidden (injected fault)"),
    404: ("NOT_FOUND", "Not found (injected fault)"),
    429: ("TOO_MANY_REQUESTS", "API rate limit exceeded"),
    500: ("INTERNAL_SERVER_ERROR", "Internal server error (injected fault)"),
    502: ("BAD_GATEWAY", "Bad gateway (injected fault)"),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable (injected fault)"),
    504: ("GATEWAY_TIMEOUT", "Gateway timeout (injected fault)"),
}


@dataclass
class Fault:
    fault_id: int
    path: str
    status: int
    times: int
    method: str | None = None
    headers: dict = field(default_factory=dict)
    body: object = None

    def to_json(self) -> dict:
        return {
            "id": self.fault_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "times": self.times,
            "headers": dict(self.headers),
            "body": self.body,
        }


class Traffic:
    """The armed faults and the request log; shares the world's lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.faults: list[Fault] = []
            self.request_log: list[dict] = []

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, with one use consumed."""
        with self.lock:
            for fault in self.faults:
                if fault.times <= 0:
                    continue
                if fault.method and fault.method not in ("*", method.upper()):
                    continue
                if not fnmatchcase(path, fault.path):
                    continue
                fault.times -= 1
                return fault
            return None

    def armed(self) -> list[Fault]:
        with self.lock:
            return [f for f in self.faults if f.times > 0]

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.request_log.append(entry)


def is_platform_path(path: str) -> bool:
    return path.startswith(PLATFORM_PREFIXES)


def fault_response(fault: Fault):
    if fault.status == 204 or (fault.body is None and fault.status < 400):
        resp = current_app.response_class(status=fault.status)
    else:
        body = fault.body
        if body is None:
            code, description = FAULT_BODIES.get(fault.status, ("ERROR", f"Injected fault {fault.status}"))
            body = {"code": code, "description": description}
        resp = jsonify(body)
        resp.status_code = fault.status
    if fault.status == 429:
        # The headers the platform's own 429 for this operation would carry (works/limits.py).
        for name, value in current_app.world.works.rate.full_headers(operation()).items():
            resp.headers[name] = str(value)
    for name, value in fault.headers.items():
        resp.headers[name] = str(value)
    return resp


def install(app: Flask) -> None:
    @app.before_request
    def _inject_fault():
        if not is_platform_path(request.path):
            return None
        g.sandbox_platform = True
        fault = app.world.traffic.take_fault(request.method, request.path)
        if fault is not None:
            g.sandbox_fault = fault.fault_id
            return fault_response(fault)
        return None

    @app.after_request
    def _log_request(resp):
        if g.get("sandbox_platform"):
            entry = {
                "method": request.method,
                "path": request.path,
                "status": resp.status_code,
                "time": now(),
            }
            if g.get("sandbox_fault") is not None:
                entry["fault"] = g.sandbox_fault
            app.world.traffic.log_request(entry)
        return resp
