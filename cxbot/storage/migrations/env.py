"""Alembic environment: runs on the connection cxbot hands over (see cxbot.storage.migrate)."""

from alembic import context
from sqlmodel import SQLModel

import cxbot.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
