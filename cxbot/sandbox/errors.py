"""The control API's answers, shared by every side (`/_sandbox/...`).

`ControlError` -> `{"error": "...", ...extra}` with a 4xx status. The platforms' own
error shapes live with each platform: works/errors.py (LINE WORKS' `{"code",
"description"}` and the token endpoint's OAuth shape), line/api.py (LINE's
`{"message", "details"}`).
"""

from __future__ import annotations

from flask import jsonify, request


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


def settings_routes(bp, owner) -> None:
    """GET and POST /settings on a control blueprint, for `owner()`'s settings under its lock."""

    @bp.get("/settings")
    def get_settings():
        w = owner()
        with w.lock:
            return jsonify(w.settings.to_json())

    @bp.post("/settings")
    def post_settings():
        w = owner()
        with w.lock:
            w.settings.update(json_body())
            return jsonify(w.settings.to_json())
