"""rate_budget: the calls each rate-limited LINE WORKS operation made in its last window,
shared by every process and host

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_budget',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('calls', sa.Text(), server_default='', nullable=False),
        sa.Column('held_until', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('rate_budget')
