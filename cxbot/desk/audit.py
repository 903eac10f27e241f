"""The audit log: who changed what, when. Callers pass facts, never secret values.

An entry keeps its action code (`account.create`, `link.line.unlink`, …), the counter
account it concerns and its facts as JSON, so that 履歴 can tell it as a sentence in
the reader's language (templates/bot/<locale>/audit_entry.txt) instead of a dump.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import func
from sqlmodel import select

from cxbot.context import Context
from cxbot.storage.models import AuditEntry

PAGE_SIZE = 10


def record(ctx: Context, actor: str, action: str, account: str = "", **facts) -> None:
    """One entry. `facts` are plain values (names, labels, flags); None and "" are left out."""
    kept = {k: v for k, v in facts.items() if v not in (None, "", [], {})}
    with ctx.db.session() as s:
        s.add(AuditEntry(at=time.time(), actor=actor, action=action, target=account[:300],
                         detail=json.dumps(kept, ensure_ascii=False) if kept else ""))


def facts(entry: AuditEntry) -> dict:
    """The entry's facts; an entry written before facts were JSON keeps its text as `note`."""
    if not entry.detail:
        return {}
    try:
        found = json.loads(entry.detail)
    except ValueError:
        return {"note": entry.detail}
    return found if isinstance(found, dict) else {"note": entry.detail}


def recent(ctx: Context, limit: int = PAGE_SIZE, offset: int = 0) -> list[AuditEntry]:
    with ctx.db.read() as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)))


def count(ctx: Context) -> int:
    with ctx.db.read() as s:
        return int(s.exec(select(func.count()).select_from(AuditEntry)).one())
