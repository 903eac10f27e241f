"""The database and the inbound-event store, on SQLite and (CI) PostgreSQL."""
