"""`gunicorn app:app` serves the web side; `python app.py` runs everything in one process."""

from cxbot import config
from cxbot.context import build
from cxbot.web.app import create_app


def _create():
    settings = config.load()
    problems = config.check(settings)
    if problems:
        raise SystemExit(str(config.ConfigError(problems)))
    return create_app(build(settings))


if __name__ == "__main__":
    from cxbot.cli import main

    main(["run"])
else:
    app = _create()
