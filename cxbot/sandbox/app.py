"""`create_app(world)`: the sandbox Flask app with every part mounted.

    BASE/oauth2/v2.0/token   auth.py       token endpoint
    BASE/v1.0/...            messages.py, bots.py, channels.py, users.py, files.py
    BASE/_upload, _download  files.py      attachment storage
    BASE/_sandbox/...        control.py    control API (tests, demo, the page)
    BASE/line/..., BASE/line-data/..., BASE/_sandbox/line/...   line/   the LINE Messaging API side
    BASE/_sandbox/mail/...   mail/         email customers, the SMTP catcher (started separately)
    BASE/                    page.py       chat page
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

import cxbot

from . import api, auth, control, line, mail, page, traffic
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
    app.register_blueprint(auth.bp)
    api.register(app)
    app.register_blueprint(control.bp)
    line.install(app)
    mail.install(app)
    app.register_blueprint(page.bp)
    return app
