"""Database engine and sessions: SQLite (embedded default) or PostgreSQL by URL."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from cxbot.storage.sqlite_gate import GatedConnection


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30,
                                                  "factory": GatedConnection})
        _sqlite_pragmas(engine)
        return engine
    # pool_recycle instead of a ping before every checkout: a webhook must not pay a round trip.
    return create_engine(url, pool_recycle=300, pool_size=10, max_overflow=10,
                         connect_args={"options": _with_custom_plans(u.query.get("options"))})


def _with_custom_plans(options: str | tuple | None) -> str:
    """The server's options for cxbot's connections: every statement planned for its values.
    psycopg prepares a statement run five times, and PostgreSQL may then keep a generic plan
    that cannot know that `status IN ('pending', 'sending')` is a handful of rows among all
    the sent ones: it reads the whole outbox at every look (43 ms instead of 0.1 ms in a
    surge, and growing with the table). Planning the queue's looks each time costs less."""
    given = " ".join(options) if isinstance(options, tuple) else (options or "")
    return f"{given} -c plan_cache_mode=force_custom_plan".strip()


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE can be used.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # SQLite has one writer; taking the write lock up front (BEGIN IMMEDIATE, behind
        # the writer gate) means a read-then-write transaction waits its turn instead of
        # failing with "database is locked" half-way, and gives row-lock semantics to the
        # token refresh. Read-only sessions (Database.read) take no lock, so they never
        # queue behind writers.
        if conn.get_execution_options().get("cxbot_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            begin_write(conn.connection.dbapi_connection)


def begin_write(dbapi_conn) -> None:
    """Start a SQLite write transaction: the writer gate, then BEGIN IMMEDIATE."""
    if isinstance(dbapi_conn, GatedConnection):
        dbapi_conn.begin_write()
    else:
        dbapi_conn.execute("BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    def __init__(self, url: str):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._read_engine = self.engine.execution_options(cxbot_read_only=True)
        # Facts that never change once written (a conversation's room), remembered per database.
        self.memo: dict[str, dict] = {}

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite it does not take the write lock."""
        with Session(self._read_engine, expire_on_commit=False) as s:
            yield s
            # Ending with commit (not rollback) keeps the loaded rows usable after the session.
            s.commit()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
