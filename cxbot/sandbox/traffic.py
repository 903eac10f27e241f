"""What happens to every platform request before and after its route: fault
injection and the request log.

Platform requests are those a bot server makes: `/oauth2/...`, `/v1.0/...` and the
file URLs `/_upload/...`, `/_download/...`. Control-API and page requests are not
logged and cannot be faulted.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from flask import Flask, current_app, g, jsonify, request

from .world import Fault, World, now

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


def is_platform_path(path: str) -> bool:
    return path.startswith(PLATFORM_PREFIXES)


def path_matches(path: str, pattern: str | None) -> bool:
    return not pattern or fnmatchcase(path, pattern)


def take_fault(world: World, method: str, path: str) -> Fault | None:
    """The first armed fault matching this request, with one use consumed."""
    with world.lock:
        for fault in world.faults:
            if fault.times <= 0:
                continue
            if fault.method and fault.method not in ("*", method.upper()):
                continue
            if not fnmatchcase(path, fault.path):
                continue
            fault.times -= 1
            return fault
        return None


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
        resp.headers["rateLimit-limit"] = "240"
        resp.headers["rateLimit-remaining"] = "0"
        resp.headers["rateLimit-reset"] = "60"
    for name, value in fault.headers.items():
        resp.headers[name] = str(value)
    return resp


def install(app: Flask) -> None:
    @app.before_request
    def _inject_fault():
        if not is_platform_path(request.path):
            return None
        g.sandbox_platform = True
        fault = take_fault(app.world, request.method, request.path)
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
            app.world.log_request(entry)
        return resp
