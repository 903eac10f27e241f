"""`cxbot` command line: config check, db upgrade, worker, run, demo, secrets."""

from __future__ import annotations

import logging
import os
import signal
import sys
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cxbot.base.i18n import LOCALES, Texts, texts

# Commands import what they run when they run, so `cxbot --help` starts fast: even the
# settings (pydantic, the mail package) wait for a command that reads them.
if TYPE_CHECKING:
    from cxbot.config import Settings


def _setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; URLs carry user ids, keep them out of the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # aiosmtpd logs every SMTP connection and command at INFO (peer, EOF, "connection lost").
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def _fail(text: str) -> None:
    click.echo(text, err=True)
    sys.exit(1)


def _texts() -> Texts:
    """The person's language for what the command prints: CXBOT_LOCALE, ja by default."""
    locale = os.environ.get("CXBOT_LOCALE", "").strip() or "ja"
    if locale not in LOCALES:
        _fail("\n".join(texts(known).render("cli/bad_locale", value=locale) for known in LOCALES))
    return texts(locale)


def _settings(**overrides) -> Settings:
    from cxbot import config as cfg

    try:
        return cfg.load(**overrides)
    except cfg.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _checked() -> Settings:
    """Settings a process can start with, or every problem at once."""
    from cxbot import config as cfg

    try:
        return cfg.load_checked()
    except cfg.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _wait_for_signal() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@click.group(help="cxbot: a CX Talk channel hub that lives inside LINE WORKS as a bot.")
@click.version_option(package_name="cxbot")
def main() -> None:
    pass


@main.group(help="Configuration.")
def config() -> None:
    pass


@config.command("check", help="Print the settings (never a secret value) and what is wrong with them.")
def config_check() -> None:
    from cxbot import config as cfg

    seen = cfg.review()
    for var, shown in cfg.describe(seen.settings, seen.refused):
        click.echo(f"{var:34} {shown}")
    problems = seen.problems
    if problems:
        click.echo("\nProblems:", err=True)
        for p in problems:
            click.echo(f"  - {p}", err=True)
        sys.exit(1)
    click.echo("\nconfiguration ok")


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the database to the current schema (data is kept).")
def db_upgrade() -> None:
    from cxbot.storage import migrate
    from cxbot.storage.db import Database
    from cxbot.storage.locks import NamedLock

    settings = _settings()
    database = Database(settings.effective_database_url)
    with NamedLock(database.engine, "migrate"):
        before = migrate.current_revision(database.engine)
        migrate.upgrade(database.engine)
        after = migrate.current_revision(database.engine)
    click.echo(f"database at revision {after} (was {before or 'empty'})")


@main.group(help="Encryption keys for credentials at rest.")
def secret() -> None:
    pass


@secret.command("generate", help="Print a new key for CXBOT_SECRET_KEY.")
def secret_generate() -> None:
    from cxbot.storage.crypto import generate_key

    click.echo(generate_key())


@secret.command("rotate", help="Re-encrypt every stored secret with the first key of CXBOT_SECRET_KEY.")
def secret_rotate() -> None:
    from cxbot.context import build
    from cxbot.storage.rotation import rotate_all

    ctx = build(_checked())
    click.echo(f"re-encrypted {rotate_all(ctx.db, ctx.vault)} stored secrets")


@main.command(help="Run the worker: stored events, scheduled token refresh.")
def worker() -> None:
    from cxbot.runtime.start import start_background

    _setup_logging()
    settings = _checked()
    stop = _wait_for_signal()
    runtime = start_background(settings, stop, web=False)
    stop.wait()
    runtime.stop()


@main.command(help="Run web and worker in one process (embedded mode).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    from cxbot.runtime.start import start_background

    _setup_logging()
    settings = _checked()
    stop = _wait_for_signal()
    runtime = start_background(settings, stop, web=True, host=host, port=port)
    click.echo(texts(settings.locale).render("cli/run_listening", url=runtime.web.url))
    stop.wait()
    runtime.stop()


@main.command(help="Start cxbot and the LINE WORKS / LINE / mail sandbox wired together, with a demo tenant. "
                    "Each start begins from a fresh database in $CXBOT_INSTANCE_PATH/demo (default instance/demo).")
@click.option("--port", default=8000, show_default=True, type=int, help="cxbot's port")
@click.option("--sandbox-port", default=8001, show_default=True, type=int, help="the sandbox's port (the chat page)")
@click.option("--smtp-port", default=2525, show_default=True, type=int, help="cxbot's SMTP receiver")
@click.option("--empty", is_flag=True, help="no ready-made counter account")
def demo(port: int, sandbox_port: int, smtp_port: int, empty: bool) -> None:
    from cxbot.demo import DemoRefused, start_demo

    say = _texts()
    _setup_logging()
    folder = Path(os.environ.get("CXBOT_INSTANCE_PATH", "").strip() or "instance") / "demo"
    stop = _wait_for_signal()
    try:
        d = start_demo(port=port, sandbox_port=sandbox_port, smtp_port=smtp_port, instance_path=folder,
                       ready_desk=not empty, locale=say.locale)
    except DemoRefused as refused:
        _fail(say.render(f"cli/{refused.message}", **refused.values))
    ready = say.render("cli/demo_ready", cxbot_url=d.cxbot_url, sandbox_url=d.sandbox_url,
                       smtp_port=d.runtime.smtp.port if d.runtime.smtp else None,
                       desk_address=d.desk.address if d.desk else "")
    click.echo("\n" + textwrap.indent(ready, "  ") + "\n")
    stop.wait()
    d.stop()


@main.command(help="Measure webhook ingest under gunicorn, end-to-end relay latency and peak memory "
                    "against the sandbox (default database: a fresh SQLite file in a temp dir).")
@click.option("--duration", default=10.0, show_default=True, type=click.FloatRange(min=0.1), help="seconds per phase")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(min=1),
              help="clients in the closed loop")
@click.option("--rate-ack", default=200.0, show_default=True, type=click.FloatRange(min=1),
              help="requests/s for the ack latency")
@click.option("--rate-relay", default=100.0, show_default=True, type=click.FloatRange(min=1),
              help="messages/s for the relay latency")
@click.option("--customers", default=None, type=click.IntRange(min=1, max=2000),
              help="LINE customers, one room each [default: 8; 300 with --surge]")
@click.option("--database-url", default="", help="SQLAlchemy URL of a scratch database (it gets bench data)")
@click.option("--quick", is_flag=True, help="a few seconds in all, for smoke tests")
@click.option("--surge", is_flag=True, help="a LINE broadcast's answers within LINE WORKS' rate limits instead")
@click.option("--mail", default=20, show_default=True, type=click.IntRange(min=0), help="--surge: mail customers")
@click.option("--answers", default=50, show_default=True, type=click.IntRange(min=0),
              help="--surge: conversations agents answer")
@click.option("--time-scale", default=5.0, show_default=True, type=click.FloatRange(min=1),
              help="--surge: LINE WORKS' minute lasts 60/k seconds")
@click.option("--over", default=60.0, show_default=True, type=click.FloatRange(min=1),
              help="--surge: platform seconds the customers arrive over")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1, max=8),
              help="--surge: `cxbot worker` processes sharing the budget")
@click.option("--json", "as_json", is_flag=True, help="print the figures as one JSON object")
def bench(duration: float, concurrency: int, rate_ack: float, rate_relay: float, customers: int | None,
          database_url: str, quick: bool, surge: bool, mail: int, answers: int, time_scale: float, over: float,
          workers: int, as_json: bool) -> None:
    import json

    from cxbot.bench import Options, run
    from cxbot.bench.report import surge_table, table
    from cxbot.bench.surge import SurgeOptions, run_surge

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    try:
        if surge:
            figures = run_surge(SurgeOptions(customers=customers or 300, mail=mail, answers=answers, over=over,
                                             time_scale=time_scale, workers=workers, database_url=database_url), say)
        else:
            figures = run(Options(duration=duration, concurrency=concurrency, rate_ack=rate_ack, rate_relay=rate_relay,
                                  database_url=database_url, customers=min(customers or 8, 100), quick=quick), say)
    except KeyboardInterrupt:
        click.echo("interrupted; subprocesses stopped", err=True)
        sys.exit(130)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    shown = surge_table(figures) if surge else table(figures)
    click.echo(json.dumps(figures, ensure_ascii=False, indent=2) if as_json else shown)


if __name__ == "__main__":
    main()
