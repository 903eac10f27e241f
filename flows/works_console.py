"""Developer ConsoleからBotを連携: a bot made in Developers Console, linked with its
ClientApp credentials (Client ID, Client Secret, Service Account, Private Key, Bot ID,
Bot Secret) → [次へ] → Webhook URL → [OK]; the admin then turns it on with [連携].

LINE WORKS has no Verify button: the Bot Secret is confirmed by a callback signed with
it. The webhook step asks the admin to send the bot one message; cxbot/verification.py
brings the result here (Engine.notify), or to the saved link later. When the signature
does not match, only the Bot Secret is asked again (here, or for a saved link in the
small `works_bot_secret` flow), and [連携] warns while no signed callback has arrived.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from cxbot.channels import WORKS_BOT
from cxbot.desk import links
from cxbot.works import auth
from cxbot.works.auth import TokenGrantError, WorksApp
from cxbot.works.client import WorksApiError, WorksClient
from flows.steps import Attachment, Button, Flow, Invalid, Step, Turn, forgetting, noting, register
from flows.works_bot import back_to_channel, no_spaces, refuse_second_bot, save_bot_secret, validate_bot_secret


def validate_service_account(turn: Turn, raw: str) -> str:
    raw = no_spaces("field_service_account")(turn, raw)
    local, at, domain = raw.partition("@")
    if not (at and domain and local.lower().endswith("serviceaccount")):
        raise Invalid("error_service_account")
    return raw


def validate_private_key(turn: Turn, raw: str) -> str:
    pem = raw.replace("\\n", "\n").strip() + "\n"
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise Invalid("error_private_key") from None
    return pem


def accept_key_file(turn: Turn, attachment: Attachment) -> str:
    try:
        data, _, _ = turn.ctx.works.download_attachment(turn.ctx.settings.works_bot_id, attachment.file_id)
    except WorksApiError as exc:
        raise Invalid("error_platform", detail=exc.description) from None
    if len(data) > 20_000:
        raise Invalid("error_private_key")
    return validate_private_key(turn, data.decode("utf-8", "replace"))


def validate_bot_id(turn: Turn, raw: str) -> str:
    if not raw.isdigit():
        raise Invalid("error_bot_id")
    return raw


def console_app(d: dict) -> WorksApp:
    return WorksApp(d["client_id"], d["client_secret"], d["service_account"], d["private_key"], "bot")


def check_console(turn: Turn, _arg: str):
    """[次へ]: a token is issued with these credentials and the bot is found with it."""
    ctx, d = turn.ctx, turn.data
    try:
        auth.grant_jwt(ctx.http, ctx.settings.works_auth_url, console_app(d))
    except TokenGrantError as exc:
        raise Invalid("error_console_grant", detail=exc.description) from None
    client = WorksClient(console_app(d), ctx.tokens, ctx.settings.works_api_url, ctx.http, attempts=2)
    try:
        bot = client.get_bot(d["bot_id"])
    except WorksApiError as exc:
        if exc.status == 404:
            raise Invalid("error_console_bot_missing", bot_id=d["bot_id"]) from None
        raise Invalid("error_platform", detail=exc.description) from None
    d["bot_name"] = bot.get("botName", "")
    d["group_join_warning"] = bool(bot.get("enableGroupJoin"))
    if not d.get("webhook_token"):
        d["webhook_token"] = links.new_token()
    d["webhook_url"] = links.webhook_url(ctx, WORKS_BOT.kind, d["webhook_token"])
    return "webhook"


# -- is the Bot Secret LINE WORKS's? -----------------------------------------------------
# turn.data["callback"]: "" (no callback yet), "ok" (one signed with it), or "bad_signature".

def confirmed(turn: Turn) -> bool:
    return turn.data.get("callback") == "ok"


def save_console(turn: Turn, _arg: str):
    d = turn.data
    links.save(turn.ctx, d["account_id"], WORKS_BOT.kind, actor=turn.user_id, mode="console",
               token=d["webhook_token"], linked=False,
               info_={"bot_id": d["bot_id"], "bot_name": d.get("bot_name", ""), "client_id": d["client_id"],
                      "service_account": d["service_account"], "configured_by": turn.user_id,
                      "callback_confirmed": confirmed(turn)},
               secrets_={"client_secret": d["client_secret"], "private_key": d["private_key"],
                         "bot_secret": d["bot_secret"]},
               warning="" if confirmed(turn) else "secret_unverified")
    turn.say("works_console_saved", bot_name=d.get("bot_name", ""), confirmed=confirmed(turn))
    return back_to_channel(turn)


register(Flow("works_console", "flow_works_console", (
    Step("client_id", "console_client_id", field="client_id", validate=no_spaces("field_client_id"),
         next="client_secret", enter=refuse_second_bot),
    Step("client_secret", "console_client_secret", field="client_secret", validate=no_spaces("field_client_secret"),
         next="service_account", secret="field_client_secret"),
    Step("service_account", "console_service_account", field="service_account", validate=validate_service_account,
         next="private_key"),
    Step("private_key", "console_private_key", field="private_key", validate=validate_private_key,
         accepts_file=accept_key_file, next="bot_id", secret="field_private_key"),
    Step("bot_id", "console_bot_id", field="bot_id", validate=validate_bot_id, next="bot_secret"),
    Step("bot_secret", "console_bot_secret", field="bot_secret", validate=validate_bot_secret,
         next=forgetting("callback", "review"), secret="field_bot_secret"),
    Step("review", "console_review", buttons=(Button("next", action="next"),), on={"next": check_console}),
    Step("webhook", "console_webhook", intro="console_steps",
         buttons=(Button("copy_url", copy=lambda t: t.data["webhook_url"]), Button("ok", action="ok"),
                  Button("reenter_bot_secret", action="secret", when=lambda t: not confirmed(t))),
         on={"ok": save_console, "secret": lambda t, a: "bot_secret_again"},
         events={"signature_ok": noting("callback", "ok"), "signature_bad": noting("callback", "bad_signature")}),
    Step("bot_secret_again", "console_bot_secret_again", field="bot_secret", validate=validate_bot_secret,
         next=forgetting("callback", "webhook"), secret="field_bot_secret"),
)))


# -- only the Bot Secret of a saved link -----------------------------------------------------

register(Flow("works_bot_secret", "flow_works_bot_secret", (
    # Shown when a callback of a saved bot arrived signed with another Bot Secret.
    Step("notice", "works_secret_mismatch", buttons=(Button("reenter_bot_secret", action="secret"),),
         on={"secret": lambda t, a: "bot_secret"}),
    Step("bot_secret", "console_bot_secret_again", field="bot_secret", validate=validate_bot_secret,
         next=save_bot_secret, secret="field_bot_secret"),
)))
