"""Tables. Secrets are stored only as Vault ciphertext (columns ending in `_enc`).

Times are Unix seconds (float): every process compares them with time.time(),
which keeps expiry arithmetic free of time-zone handling.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class AccessToken(SQLModel, table=True):
    """A LINE WORKS access token shared by every process, one per ClientApp."""

    __tablename__ = "access_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: str = Field(index=True, unique=True, max_length=200)
    scope: str = Field(default="", max_length=500)
    access_token_enc: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token_enc: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    expires_at: float
    refresh_expires_at: Optional[float] = None
    issued_at: float
    # How many times this row was renewed: lets tests and operators see refreshes happen once.
    renewals: int = 0


class InboundEvent(SQLModel, table=True):
    """A webhook body stored before it is acknowledged; the worker handles it later."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_inbound_event_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=20, index=True)  # hub | line | works | mail
    link_token: Optional[str] = Field(default=None, max_length=100)
    idempotency_key: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: float
    status: str = Field(default="pending", max_length=20, index=True)  # pending | done | failed
    attempts: int = 0
    not_before: float = 0.0
    last_error: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    processed_at: Optional[float] = None


class WorkerHeartbeat(SQLModel, table=True):
    """Each worker process writes here so /healthz can tell whether events get handled."""

    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=200)
    seen_at: float
    role: str = Field(default="worker", max_length=50)
