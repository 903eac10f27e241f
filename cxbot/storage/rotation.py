"""Re-encrypt stored secrets after a new key is put first in CXBOT_SECRET_KEY."""

from __future__ import annotations

from sqlmodel import SQLModel, select

from cxbot.storage.crypto import Vault
from cxbot.storage.db import Database


def encrypted_columns() -> list[tuple[type[SQLModel], str]]:
    """Every (table model, column) holding Vault ciphertext: by convention, names ending in _enc."""
    found = []
    for mapper in SQLModel._sa_registry.mappers:
        model = mapper.class_
        for column in mapper.columns:
            if column.key.endswith("_enc"):
                found.append((model, column.key))
    return found


def rotate_all(db: Database, vault: Vault) -> int:
    count = 0
    with db.session() as s:
        for model, column in encrypted_columns():
            for row in s.exec(select(model)):
                value = getattr(row, column)
                if value:
                    setattr(row, column, vault.rotate(value))
                    s.add(row)
                    count += 1
    return count
