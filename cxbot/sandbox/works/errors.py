"""LINE WORKS' error shapes, which the sandbox turns into HTTP responses.

- `ApiError`   -> the API 2.0 shape          `{"code": "...", "description": "..."}`
- `OAuthError` -> the token endpoint shape   `{"error": "...", "error_description": "..."}`
"""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException


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


def unauthorized(description: str, status: int = 401) -> ApiError:
    return ApiError(status, "UNAUTHORIZED", description)


def forbidden(description: str) -> ApiError:
    return ApiError(403, "FORBIDDEN", description)


def not_found(description: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", description)


def unrouted(exc: HTTPException, what: str) -> ApiError:
    """An unknown path or a wrong method under /v1.0, in the API's shape."""
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.code, "ERROR")
    return ApiError(exc.code or 500, code, what)


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
