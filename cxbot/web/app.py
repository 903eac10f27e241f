"""The Flask app: the factory that puts the blueprints together, one per module
(callback.py, webhooks.py, media.py, forms.py, health.py), and `app_from_env`, the app
as `gunicorn app:app` serves it.

Handlers only check and store; everything that talks to a platform happens in the
worker, so LINE WORKS and LINE get their 200 in milliseconds.
"""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from cxbot import TEMPLATES_DIR, config
from cxbot.context import Context, build
from cxbot.web import callback, forms, health, media, webhooks

MAX_BODY = 1024 * 1024


def create_app(ctx: Context) -> Flask:
    app = Flask("cxbot", template_folder=str(TEMPLATES_DIR))
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["cxbot"] = ctx

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, RequestEntityTooLarge):
            return jsonify({"error": f"body larger than {MAX_BODY} bytes"}), 413
        return jsonify({"error": exc.description or exc.name}), exc.code or 500

    for module in (callback, webhooks, media, forms, health):
        app.register_blueprint(module.blueprint(ctx))
    return app


def app_from_env() -> Flask:
    """The web app on the CXBOT_* environment, as `gunicorn app:app` and the bench serve it.
    Settings with problems stop the process, naming every variable at fault."""
    try:
        settings = config.load_checked()
    except config.ConfigError as exc:
        raise SystemExit(str(exc)) from None
    return create_app(build(settings))
