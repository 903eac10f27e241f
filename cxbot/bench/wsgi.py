"""`gunicorn cxbot.bench.wsgi:app`: cxbot's web app built exactly as app.py's `_create()`
builds it for `gunicorn app:app` (settings from the CXBOT_* environment), importable
from the installed package wherever the bench runs."""

from cxbot import config
from cxbot.context import build
from cxbot.web.app import create_app


def _create():
    settings = config.load()
    problems = config.check(settings)
    if problems:
        raise SystemExit(str(config.ConfigError(problems)))
    return create_app(build(settings))


app = _create()
