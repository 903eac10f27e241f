"""A secret typed into a one-time form (the pages are cxbot/web/forms.py), handed to the
admin's flow by the worker as if it had been typed in the chat, in order with the chat."""

from __future__ import annotations

import json

from cxbot.context import Context
from cxbot.desk import secret_forms
from cxbot.hub.bot import deliver
from flows import Engine


def handle_submission(ctx: Context, body: str, _link_token: str | None = None) -> None:
    """Worker side: decrypt the value and give it to the admin's flow as a typed answer."""
    msg = json.loads(body)
    token = msg.get("token")
    form = secret_forms.get(ctx, token) if token else None
    if form is not None and secret_forms.was_taken(form):
        return  # handled already (a retry after the answer was sent): the flow has it
    value = ctx.vault.decrypt(msg["value_enc"])
    taken, replies = Engine(ctx).handle_form(msg["user_id"], msg["flow"], msg["step"], value)
    if token:
        secret_forms.settle(ctx, token, taken)
    deliver(ctx, msg["user_id"], replies)
