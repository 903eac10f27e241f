"""[情報を削除]: wipe a channel's credentials, turn it off, retire its webhook URL.

Open CX Talk rooms of the channel are told; for LINE the admin is told that cxbot can
no longer answer there and what to turn off in LINE Developers console.

A bot cxbot created is deleted too (members lose it from their talk partners and
an open talk with it can no longer be written in); a Developers Console bot gets
its callback turned off where its credentials allow.
"""

from __future__ import annotations

import logging

from cxbot.channels import WORKS_BOT
from cxbot.desk import links
from cxbot.relay import channel_state
from cxbot.works.client import WorksApiError, WorksClient
from flows.steps import Invalid, Turn

log = logging.getLogger(__name__)


def delete_channel(turn: Turn) -> None:
    ctx = turn.ctx
    link = links.get(ctx, turn.data["account_id"], turn.data["kind"])
    if link is None:
        raise Invalid("error_not_configured")
    info = links.info(link)
    if link.kind == WORKS_BOT.kind and link.mode == "created":
        try:
            ctx.works.delete_bot(info["bot_id"])
        except WorksApiError as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise Invalid("error_platform", detail=exc.description) from None
    elif link.kind == WORKS_BOT.kind and link.mode == "console":
        app = links.console_app(ctx, link)
        try:
            WorksClient(app, ctx.tokens, ctx.settings.works_api_url, ctx.http, attempts=2).patch_bot(
                info["bot_id"], {"enableCallback": False, "callbackUrl": ""})
        except Exception as exc:  # best effort: the URL is retired below whatever happens here
            log.warning("could not turn off the callback of bot %s: %s", info.get("bot_id"), exc)
        ctx.tokens.forget(app.client_id)
    links.delete(ctx, link.id, turn.user_id)
    rooms = channel_state.tell_open_rooms(ctx, link.counter_account_id, link.kind, "deleted",
                                          channel_state.channel_name(info))
    # LINE keeps calling the Webhook URL (now 410) until the admin turns it off in the console.
    turn.say("deleted_info", channel_title=turn.data.get("channel_title", ""), kind=link.kind, rooms=rooms,
             basic_id=info.get("basic_id", ""), display_name=info.get("display_name", ""))
