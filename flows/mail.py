"""メール連携: the counter account's default address (CXトーク既定アドレス), the
forwarding guides, [OK]; the admin then turns it on with [連携]."""

from __future__ import annotations

from cxbot.channels import MAIL
from cxbot.desk import accounts, links
from flows.steps import Button, Flow, Goto, Invalid, Step, Turn, register

GMAIL_GUIDE = "https://support.google.com/mail/answer/10957"
OUTLOOK_GUIDE = ("https://support.microsoft.com/office/"
                 "use-rules-to-automatically-forward-messages-45aa9664-4911-4f96-9663-ece42816d746")


def enter(turn: Turn):
    account = accounts.get(turn.ctx, turn.data.get("account_id"))
    if account is None:
        raise Invalid("error_account_gone")
    turn.data.update(name=account.name, address=account.default_address)
    return None


def save(turn: Turn, _arg: str):
    existing = links.get(turn.ctx, turn.data["account_id"], MAIL.kind)
    token = existing.webhook_token if existing and existing.webhook_token else links.new_token()
    links.save(turn.ctx, turn.data["account_id"], MAIL.kind, actor=turn.user_id,
               info_={"address": turn.data["address"], "configured_by": turn.user_id},
               secrets_=None, token=token, linked=bool(existing and existing.linked))
    turn.say("mail_saved", address=turn.data["address"])
    return Goto("accounts", "channel", {"account_id": turn.data["account_id"], "kind": MAIL.kind}, back=False)


register(Flow(MAIL.setup_flow, "flow_mail", (
    Step("address", "mail_address", enter=enter,
         buttons=(Button("copy_address", copy=lambda t: t.data["address"]),
                  Button("gmail_guide", uri=lambda t: GMAIL_GUIDE),
                  Button("outlook_guide", uri=lambda t: OUTLOOK_GUIDE),
                  Button("ok", action="ok")),
         on={"ok": save}),
)))
