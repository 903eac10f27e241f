"""LINE's webhook Verify (and the test API): tell the admin in chat what happened.

The webhook handler stores a small note; the worker turns it into the admin's
"Success" (or the signature-mismatch explanation) in the hub bot's 1:1 room.
"""

from __future__ import annotations

import json

from sqlmodel import select

from cxbot import links
from cxbot.context import Context
from cxbot.models import FlowState
from cxbot.works import messages as m


def pending_flow(ctx: Context, token: str) -> FlowState | None:
    with ctx.db.read() as s:
        return s.exec(select(FlowState).where(FlowState.webhook_token == token)).first()


def flow_secret(ctx: Context, state: FlowState, key: str) -> str:
    return json.loads(ctx.vault.decrypt(state.data_enc)).get(key, "")


def note(token: str, ok: bool) -> bytes:
    return json.dumps({"token": token, "ok": ok}).encode()


def handle(ctx: Context, body: str, _link_token: str | None = None) -> None:
    msg = json.loads(body)
    token = msg["token"]
    admin = None
    link = links.by_token(ctx, token, fresh=True)
    if link is not None:
        admin = links.info(link).get("configured_by")
    else:
        state = pending_flow(ctx, token)
        admin = state.user_id if state is not None else None
    if not admin:
        return
    template = "line_verify_ok" if msg["ok"] else "line_verify_bad_signature"
    ctx.works.send_to_user(ctx.settings.works_bot_id, admin, m.text(ctx.texts.render(f"flows/{template}")))
