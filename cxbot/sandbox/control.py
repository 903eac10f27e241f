"""The shared part of the control API under `/_sandbox/`: reset the whole world, the
sandbox's settings, injected faults and the platform request log, for every side.

    POST   /_sandbox/reset                clears LINE WORKS, LINE and mail (the SMTP catcher keeps running)
    GET/POST /_sandbox/settings           {apiCallsPerMinute, channelCreatePerMinute, rateLimitWindow,
                                           timeScale, expiresInAsString, allowHttpUrls, callbackTimeout,
                                           maxBots, ...} (settings.py)
    POST   /_sandbox/faults               {path (a glob), status, times?, method?, headers?, body?} (or an array)
    GET/DELETE /_sandbox/faults           the armed ones
    GET/DELETE /_sandbox/requests[?path=&method=&status=]   platform requests, LINE's included

Each side's own setup, acts and logs: works/control.py (there `GET/DELETE /_sandbox/rate`,
the rate limits' counters), line/control.py, mail/control.py.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from flask import Blueprint, current_app, jsonify, request

from .errors import ControlError, control_errors, settings_routes
from .errors import created as _created
from .errors import json_body as _body
from .traffic import Fault

bp = Blueprint("sandbox_shared", __name__, url_prefix="/_sandbox")


def _world():
    return current_app.world


control_errors(bp)
settings_routes(bp, _world)


@bp.post("/reset")
def reset():
    w = _world()
    w.works.deliverer.wait_idle(5)
    w.reset()
    return jsonify({"ok": True})


@bp.post("/faults")
def add_faults():
    data = _body((dict, list))
    items = data if isinstance(data, list) else [data]
    traffic = _world().traffic
    made = []
    with traffic.lock:
        for item in items:
            if not isinstance(item, dict):
                raise ControlError(400, "each fault must be a JSON object")
            path, status = item.get("path"), item.get("status")
            if not isinstance(path, str) or not path.startswith("/"):
                raise ControlError(400, "path is required: a glob of the request path, e.g. /v1.0/bots/*/users/*/messages")
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise ControlError(400, "status is required: an HTTP status code")
            times = item.get("times", 1)
            if not isinstance(times, int) or times < 1:
                raise ControlError(400, "times must be a positive integer")
            headers = item.get("headers") or {}
            if not isinstance(headers, dict):
                raise ControlError(400, "headers must be an object")
            method = item.get("method")
            fault = Fault(
                fault_id=len(traffic.faults) + 1,
                path=path,
                status=status,
                times=times,
                method=method.upper() if isinstance(method, str) else None,
                headers={str(k): str(v) for k, v in headers.items()},
                body=item.get("body"),
            )
            traffic.faults.append(fault)
            made.append(fault.to_json())
    return _created(made if isinstance(data, list) else made[0])


@bp.get("/faults")
def list_faults():
    return jsonify([f.to_json() for f in _world().traffic.armed()])


@bp.delete("/faults")
def clear_faults():
    traffic = _world().traffic
    with traffic.lock:
        traffic.faults.clear()
    return jsonify({"ok": True})


@bp.get("/requests")
def list_requests():
    pattern = request.args.get("path")
    method = request.args.get("method", "").upper()
    status = request.args.get("status")
    traffic = _world().traffic
    with traffic.lock:
        entries = [
            dict(e) for e in traffic.request_log
            if (not pattern or fnmatchcase(e["path"], pattern))
            and (not method or e["method"] == method)
            and (not status or str(e["status"]) == status)
        ]
    return jsonify(entries)


@bp.delete("/requests")
def clear_requests():
    traffic = _world().traffic
    with traffic.lock:
        traffic.request_log.clear()
    return jsonify({"ok": True})
