"""The intake room (受付ルーム) of each counter account, and a priority for the room queue

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:30:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('counter_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_channel_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('intake_shown_until', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('intake_posted_at', sa.Float(), nullable=False, server_default='0'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('priority')
    with op.batch_alter_table('counter_account', schema=None) as batch_op:
        batch_op.drop_column('intake_posted_at')
        batch_op.drop_column('intake_shown_until')
        batch_op.drop_column('intake_channel_id')
