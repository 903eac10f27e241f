"""The audit log: who changed what, when. Callers pass descriptions, never secret values."""

from __future__ import annotations

import time

from sqlmodel import select

from cxbot.context import Context
from cxbot.models import AuditEntry


def record(ctx: Context, actor: str, action: str, target: str = "", detail: str = "") -> None:
    with ctx.db.session() as s:
        s.add(AuditEntry(at=time.time(), actor=actor, action=action, target=target[:300], detail=detail))


def recent(ctx: Context, limit: int = 15) -> list[AuditEntry]:
    with ctx.db.read() as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
