"""conversation busy_ack_at: when the customer was told, once, that cxbot is busy (a surge)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:50:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('busy_ack_at', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('busy_ack_at')
