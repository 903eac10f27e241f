"""Error types the sandbox turns into HTTP responses.

Three families, one per surface:

- `ApiError`     -> the LINE WORKS API 2.0 shape  `{"code": "...", "description": "..."}`
- `OAuthError`   -> the token endpoint shape      `{"error": "...", "error_description": "..."}`
- `ControlError` -> the sandbox control API shape `{"error": "...", ...extra}`
"""

from __future__ import annotations

from flask import jsonify


class ApiError(Exception):
    def __init__(self, status: int, code: str, description: str, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.headers = headers or {}

    def response(self):
        resp = jsonify({"code": self.code, "description": self.description})
        resp.status_code = self.status
        for name, value in self.headers.items():
            resp.headers[name] = str(value)
        return resp


def invalid(description: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", description)


def unauthorized(description: str) -> ApiError:
    return ApiError(401, "UNAUTHORIZED", description)


def forbidden(description: str) -> ApiError:
    return ApiError(403, "FORBIDDEN", description)


def not_found(description: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", description)


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self):
        resp = jsonify({"error": self.error, "error_description": self.description})
        resp.status_code = self.status
        resp.headers["Cache-Control"] = "no-store"
        return resp


class ControlError(Exception):
    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self):
        resp = jsonify({"error": self.message, **self.extra})
        resp.status_code = self.status
        return resp


def json_body(kind=dict):
    """The control request's JSON body (an empty body counts as {}), or a 400."""
    from flask import request

    data = request.get_json(silent=True, force=True)
    if data is None and not request.get_data(cache=True):
        data = {}
    if not isinstance(data, kind if isinstance(kind, tuple) else (kind,)):
        raise ControlError(400, "the request body must be a JSON object")
    return data


def created(body, status: int = 201):
    resp = jsonify(body)
    resp.status_code = status
    return resp


def control_errors(bp) -> None:
    """Control blueprints answer ControlError and ValueError as `{"error": ...}` with a 4xx."""
    bp.register_error_handler(ControlError, lambda exc: exc.response())
    bp.register_error_handler(ValueError, lambda exc: ControlError(400, str(exc)).response())


def settings_routes(bp, world) -> None:
    """GET and POST /settings on a control blueprint, for `world()`'s settings under its lock."""

    @bp.get("/settings")
    def get_settings():
        w = world()
        with w.lock:
            return jsonify(w.settings.to_json())

    @bp.post("/settings")
    def post_settings():
        w = world()
        with w.lock:
            w.settings.update(json_body())
            return jsonify(w.settings.to_json())
