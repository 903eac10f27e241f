"""Is the secret the admin entered the platform's? Signed requests tell, and the admin hears it.

LINE's Verify request (and [自動設定]'s webhook test) and the callbacks of a bot linked
from Developers Console are signed with the secret the platform holds. The webhook
handlers check them against the secret entered (of the setup in progress, or of the
saved link) and store a small note, at most one per link, secret and outcome a minute.
The worker hands the note to the admin's flow when the admin is at the step waiting
for it (the step is shown again: "Success" with [OK]) and otherwise tells them plainly.
A Developers Console link remembers that a signed callback arrived (`callback_confirmed`
in its info): [連携] warns while none has.
"""

from __future__ import annotations

import hashlib
import json
import time

from sqlmodel import select

from cxbot import channels
from cxbot.base import signatures
from cxbot.context import Context
from cxbot.desk import links
from cxbot.hub.bot import deliver
from cxbot.storage.models import ChannelLink, FlowState
from cxbot.works import messages as m
from flows import Engine

NOTE_EVERY = 60  # seconds
# The channels whose platform signs the requests a setup in progress waits for.
VERIFIED = tuple(channel for channel in channels.ALL if channel.verify_flow)
BOT_SECRET_FLOW = "works_bot_secret"


def fingerprint(secret: str) -> str:
    """Names a secret in a note without carrying it: a note about an older secret is ignored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def pending_flow(ctx: Context, token: str, flow: str) -> FlowState | None:
    """The admin's setup that issued this Webhook URL and has not saved it yet."""
    with ctx.db.read() as s:
        return s.exec(select(FlowState).where(FlowState.webhook_token == token, FlowState.flow == flow)).first()


def flow_secret(ctx: Context, state: FlowState, key: str) -> str:
    return json.loads(ctx.vault.decrypt(state.data_enc)).get(key, "")


def admin_of(link: ChannelLink | None, flow: FlowState | None) -> str:
    """Who hears about a signed request: the admin of the setup in progress, or who saved the link."""
    if flow is not None:
        return flow.user_id
    return links.info(link).get("configured_by", "") if link is not None else ""


def note(ctx: Context, kind: str, token: str, ok: bool, secret: str, admin: str) -> None:
    """Web side: store what a signed request to a `kind` channel's URL showed, for the worker to tell `admin`."""
    if not admin:
        return
    fp = fingerprint(secret)
    key = f"{kind}-{'ok' if ok else 'bad'}:{token}:{fp}:{int(time.time() // NOTE_EVERY)}"
    body = json.dumps({"kind": kind, "token": token, "ok": ok, "fp": fp}).encode()
    # In the admin's order: a note and the chat (e.g. the [自動設定] press that caused it) never interleave.
    ctx.inbox.store(channels.get(kind).verify_source, key, body, order_key=f"user:{admin}")


def works_setup_callback(ctx: Context, token: str, raw: bytes, bot_id: str, signature: str | None) -> bool | None:
    """A callback to the Webhook URL of a Developers Console setup not saved yet (the admin's
    test message): whether it is signed with the Bot Secret entered; None when no setup waits."""
    state = pending_flow(ctx, token, channels.WORKS_BOT.verify_flow)
    if state is None:
        return None
    data = json.loads(ctx.vault.decrypt(state.data_enc))
    if bot_id != data.get("bot_id"):
        return False
    secret = data.get("bot_secret", "")
    ok = signatures.verify(secret, raw, signature)
    note(ctx, channels.WORKS_BOT.kind, token, ok, secret, state.user_id)
    return ok


def works_link_callback(ctx: Context, link: ChannelLink, token: str, ok: bool, secret: str) -> None:
    """A callback to a saved inquiry bot whose Bot Secret the admin gave: remember the first
    signed one, tell a bad one."""
    if link.mode not in ("console", "created"):
        return
    info = links.info(link)
    if ok and info.get("callback_confirmed"):
        return
    note(ctx, channels.WORKS_BOT.kind, token, ok, secret, info.get("configured_by", ""))


# -- worker side -----------------------------------------------------------------------

def handle(ctx: Context, body: str, _link_token: str | None = None) -> None:
    msg = json.loads(body)
    kind, token, ok, fp = channels.current(msg.get("kind", channels.LINE.kind)), msg["token"], msg["ok"], msg.get("fp")
    link = links.by_token(ctx, token, fresh=True)
    if link is not None:
        _for_link(ctx, kind, link, ok, fp)
        return
    channel = channels.get(kind)
    state = pending_flow(ctx, token, channel.verify_flow)
    if state is None:
        return
    if fp and fingerprint(flow_secret(ctx, state, channel.signing_secret)) != fp:
        return  # about a secret entered before the one the setup has now
    replies = Engine(ctx).notify(state.user_id, state.flow, "signature_ok" if ok else "signature_bad")
    if replies is None:  # the admin is at another step (e.g. typing the secret again): say it plainly
        replies = [m.text(ctx.texts.render(f"flows/{kind}_signature_{'ok' if ok else 'bad'}"))]
    deliver(ctx, state.user_id, replies)


def _for_link(ctx: Context, kind: str, link: ChannelLink, ok: bool, fp: str | None) -> None:
    info = links.info(link)
    admin = info.get("configured_by")
    if not admin or link.kind != kind:
        return
    if fp and fingerprint(links.secrets_of(ctx, link).get(channels.get(kind).signing_secret, "")) != fp:
        return
    if kind == channels.LINE.kind:
        template = "line_signature_ok_saved" if ok else "line_signature_bad_saved"
        deliver(ctx, admin, [m.text(ctx.texts.render(f"flows/{template}", **info))])
    elif ok:
        if not info.get("callback_confirmed"):
            links.update_info(ctx, link.id, callback_confirmed=True)
            deliver(ctx, admin, [m.text(ctx.texts.render("flows/works_bot_signature_ok_saved", **info))])
    else:
        _ask_bot_secret(ctx, admin, link, info)


def _ask_bot_secret(ctx: Context, admin: str, link: ChannelLink, info: dict) -> None:
    """A saved console bot's callback is signed with another Bot Secret: offer to enter only that."""
    engine = Engine(ctx)
    current = engine.active(admin)
    if current is not None and current.flow == BOT_SECRET_FLOW:
        return  # being asked already
    data = {"account_id": link.counter_account_id, "bot_name": info.get("bot_name", ""), "linked": link.linked}
    replies = engine.start(admin, BOT_SECRET_FLOW, data=data)
    after = engine.active(admin)
    if after is None or after.flow != BOT_SECRET_FLOW:  # asked to leave a flow first: say why before
        replies = [m.text(ctx.texts.render("flows/works_secret_mismatch", **data))] + replies
    deliver(ctx, admin, replies)
