"""`gunicorn cxbot.bench.wsgi:app`: cxbot's web app built exactly as app.py's `_create()`
builds it for `gunicorn app:app` (settings from the CXBOT_* environment), importable
from the installed package wherever the bench runs."""

from cxbot import config
from cxbot.context import build
from cxbot.web.app import create_app


def _create():
    try:
        settings = config.load_checked()
    except config.ConfigError as exc:
        raise SystemExit(str(exc)) from None
    return create_app(build(settings))


app = _create()
