"""outbox (action, status) index; on PostgreSQL, the queue tables vacuumed after a fixed
number of changes rather than a fifth of their size

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:40:00.000000

The room queue is counted and listed by action and status many times a minute in a surge
(relay/room_queue.py, relay/intake.py). Every event and outbox row changes status two or
three times and keeps its row afterwards, so on PostgreSQL the dead versions pile up in
the status indexes and each look at the queue reads them all: by default autovacuum
waits for a fifth of the table to be dead, which grows with the table.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

QUEUES = ('outbox', 'inbound_event')
LEAN = "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02"


def upgrade() -> None:
    op.create_index('ix_outbox_action_status', 'outbox', ['action', 'status'])
    if op.get_bind().dialect.name == 'postgresql':
        for table in QUEUES:
            op.execute(sa.text(f"ALTER TABLE {table} SET ({LEAN})"))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in QUEUES:
            op.execute(sa.text(f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, "
                               "autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)"))
    op.drop_index('ix_outbox_action_status', table_name='outbox')
