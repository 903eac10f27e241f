"""contact.blocked_at: a LINE customer who blocked the Official Account (unfollow)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:51:35.440059
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_at', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('blocked_at')
