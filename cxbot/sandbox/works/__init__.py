"""The LINE WORKS side of the sandbox: a real HTTP emulator of the LINE WORKS API 2.0
parts cxbot uses, written from the platform's docs.

    BASE/oauth2/v2.0/token   auth.py       token endpoint (CXBOT_WORKS_AUTH_URL)
    BASE/v1.0/...            messages.py, bots.py, channels.py, users.py, files.py (CXBOT_WORKS_API_URL=BASE/v1.0)
    BASE/_upload, _download  files.py      attachment storage
    BASE/_sandbox/...        control.py    control API: the tenant, acting as a user, rooms, callbacks

Module map: model (the tenant's records and their JSON), state (world.works: the
tables), api (plumbing the /v1.0 routes share), errors (the API's and the token
endpoint's error shapes), validate (message limits), pressables (what a user can
press), callbacks (signed delivery), acts (what a user does), limits (rate limits per API operation),
control (/_sandbox).
"""

from __future__ import annotations

from flask import Flask

from . import auth, bots, channels, control, files, limits, messages, users
from .errors import ApiError, unrouted
from .state import WorksWorld

API_PREFIX = "/v1.0"


def install(app: Flask) -> None:
    limits.install(app)
    app.register_blueprint(auth.bp)
    for module in (messages, bots, channels, users, files):
        app.register_blueprint(module.bp)
    app.register_error_handler(ApiError, lambda exc: exc.response())
    app.register_blueprint(control.bp)


__all__ = ["API_PREFIX", "WorksWorld", "install", "unrouted"]
