"""The queue tables stay lean: after a surge's worth of status changes the scheduler's
process vacuums them on PostgreSQL, so a look at the queue no longer reads thousands of
dead rows, and every look is planned for its values (a generic plan read the whole
outbox); SQLite needs nothing of the kind and is left alone."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.engine import make_url

from cxbot.storage.db import Database, is_postgres
from cxbot.storage.models import OutboxItem
from cxbot.storage.tidy import DEAD_ROWS, vacuum_queues

pytestmark = pytest.mark.database


def dead_rows(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = :t"),
                                {"t": table}).scalar() or 0)


def churn(db: Database, rows: int) -> None:
    """What a surge does to the outbox: rows queued, leased, sent."""
    with db.session() as s:
        s.connection().execute(insert(OutboxItem), [
            {"conversation_id": None, "action": "admin_note", "payload": "{}", "retry_key": f"k{i}",
             "status": "pending", "created_at": time.time(), "not_before": 0.0} for i in range(rows)])
    for status in ("sending", "sent"):
        with db.session() as s:
            s.connection().execute(update(OutboxItem).values(status=status))
            if is_postgres(db.engine):
                s.connection().execute(text("SELECT pg_stat_force_next_flush()"))


def test_a_churned_outbox_is_vacuumed_on_postgresql_and_a_quiet_one_is_not(db):
    assert vacuum_queues(db) == []  # nothing changed yet: nothing to do
    churn(db, DEAD_ROWS)
    if not is_postgres(db.engine):
        assert vacuum_queues(db) == []  # SQLite rewrites rows in place
        return
    assert dead_rows(db, "outbox") >= DEAD_ROWS
    assert vacuum_queues(db) == ["outbox"]
    assert dead_rows(db, "outbox") == 0
    assert vacuum_queues(db) == []  # done: the next look finds nothing to clear


def test_on_postgresql_every_look_is_planned_for_its_values_and_the_operators_options_stay(database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        assert vacuum_queues(Database(database_url)) == []
        return
    db = Database(url.update_query_dict({"options": "-c statement_timeout=7000"}).render_as_string(hide_password=False))
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "7s"
    finally:
        db.dispose()
