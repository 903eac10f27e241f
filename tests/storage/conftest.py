"""The storage tests' database: migrated to the head revision (test_sqlite_gate.py uses a bare one of its own)."""

from __future__ import annotations

import pytest

from cxbot.storage import migrate
from cxbot.storage.db import Database


@pytest.fixture
def db(database_url):
    db = Database(database_url)
    migrate.upgrade(db.engine)
    yield db
    db.dispose()
