"""`create_app(world)`: the sandbox Flask app with every side mounted.

    BASE/oauth2/..., BASE/v1.0/..., BASE/_upload, _download   works/   the LINE WORKS side
    BASE/_sandbox/...        works/control.py  its control API (the tenant, acting as a user)
    BASE/line/..., BASE/line-data/..., BASE/_sandbox/line/...   line/    the LINE Messaging API side
    BASE/_sandbox/mail/...   mail/             email customers, the SMTP catcher (started separately)
    BASE/_sandbox/reset, settings, faults, requests   control.py   shared by every side
    BASE/                    page.py           chat page

Before and after every platform request: traffic.py (faults, the request log).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from werkzeug.exceptions import HTTPException

import cxbot

from . import control, line, mail, page, traffic, works
from .errors import ControlError
from .world import World

# cxbot.TEMPLATES_DIR; computed the same way if the package __init__ was not loaded
# (an editable install made before cxbot/__init__.py existed maps cxbot as a namespace).
TEMPLATES_DIR = getattr(cxbot, "TEMPLATES_DIR", None) or Path(__file__).resolve().parents[2] / "templates"


def create_app(world: World | None = None) -> Flask:
    app = Flask("cxbot.sandbox", template_folder=str(TEMPLATES_DIR), static_folder=None)
    app.world = world if world is not None else World()
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024 * 1024
    traffic.install(app)
    works.install(app)
    app.register_blueprint(control.bp)
    line.install(app)
    mail.install(app)
    app.register_blueprint(page.bp)
    app.register_error_handler(HTTPException, _unrouted)
    return app


def _unrouted(exc: HTTPException):
    """Unknown paths and wrong methods answer in the JSON shape of the API they aimed
    at (LINE's are answered by line/api.py before routing); elsewhere werkzeug's page."""
    what = f"{exc.name}: {request.method} {request.path}"
    if request.path.startswith(works.API_PREFIX + "/"):
        return works.unrouted(exc, what).response()
    if request.path.startswith("/_sandbox/"):
        return ControlError(exc.code or 500, what).response()
    return exc
