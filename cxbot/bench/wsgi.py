"""`gunicorn cxbot.bench.wsgi:app`: cxbot's web app exactly as `gunicorn app:app` serves it
(`app_from_env`: settings from the CXBOT_* environment), importable from the installed
package wherever the bench runs."""

from cxbot.web.app import app_from_env

app = app_from_env()
