"""`gunicorn app:app` serves the web side; `python app.py` runs everything in one process."""

from cxbot.web.app import app_from_env

if __name__ == "__main__":
    from cxbot.cli import main

    main(["run"])
else:
    app = app_from_env()
