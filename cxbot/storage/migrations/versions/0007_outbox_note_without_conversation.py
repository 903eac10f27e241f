"""outbox.conversation_id nullable: a note to the admins about an inbound event given up
before it became part of a conversation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:58:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('conversation_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE conversation_id IS NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('conversation_id', existing_type=sa.Integer(), nullable=False)
