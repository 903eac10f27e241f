"""Keeping the queue tables lean on PostgreSQL (SQLite rewrites in place and needs nothing).

Every stored event and outbox row changes status two or three times, and each change
leaves a dead version of the row that the status indexes keep pointing at until the table
is vacuumed. Looks at the queue (a worker's, a drainer's, the intake room's) then read
every dead entry: on a table not vacuumed through one surge, a look cost 40 ms instead
of 0.1 ms. Autovacuum is told to come sooner (migration 0011), but it may be off or slow
on a company's server, so the scheduler's process vacuums these tables itself once they
hold more dead rows than DEAD_ROWS. VACUUM takes no lock that stops reads or writes.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, text

from cxbot.storage.db import Database, is_postgres

log = logging.getLogger(__name__)

QUEUES = ("outbox", "inbound_event")
DEAD_ROWS = 2000

_DEAD = text("SELECT relname, n_dead_tup FROM pg_stat_user_tables "
             "WHERE relname IN :names AND schemaname = current_schema()").bindparams(bindparam("names", expanding=True))


def vacuum_queues(db: Database, dead_rows: int = DEAD_ROWS) -> list[str]:
    """Vacuum (and analyze) the queue tables holding more than `dead_rows` dead rows;
    returns those vacuumed."""
    if not is_postgres(db.engine):
        return []
    # VACUUM cannot run inside a transaction: a connection of its own, in autocommit.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        due = [name for name, dead in conn.execute(_DEAD, {"names": list(QUEUES)}) if (dead or 0) > dead_rows]
        for name in due:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {name}")  # a name of QUEUES, never input
    if due:
        log.info("vacuumed %s", ", ".join(due))
    return due
