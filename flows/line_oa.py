"""LINE公式アカウント連携: the seed's four fields → [次へ] → Webhook URL → Verify → [OK].

[次へ] takes the account's basic ID or its premium ID: `/v2/bot/info` gives both.

[OK] is offered only once a request signed with the channel secret entered has arrived:
LINE's Verify (the webhook handler stores a note, the worker brings it here through
Engine.notify) or the webhook test of [自動設定], which sets the endpoint through the
Messaging API so the admin copies nothing. A link saved with a wrong secret would
refuse every customer message with 401. When the signature does not match, only the
channel secret is asked again, and the admin comes back to the same Webhook URL.

[OK] links only once LINE says "Use webhook" is on (`GET .../webhook/endpoint` `active`):
no API turns that console switch on, and LINE sends no event while it is off. [自動設定]
reads it back after its test and says so; [OK] reads it again and, while it is off, says
so again instead of saving. [自動設定] tests the URL it set by passing it in the test
request: LINE may go on using the old URL for up to a minute after the change.
When the link is saved the admin is told the rest of the consoles' settings cxbot needs.
"""

from __future__ import annotations

import re

from cxbot.channels import LINE
from cxbot.desk import links
from cxbot.line.client import LineApiError, LineClient
from flows.steps import Button, Flow, Goto, Invalid, Step, Turn, forgetting, noting, register

TOKEN_MIN = 20


def validate_channel_id(turn: Turn, raw: str) -> str:
    if not re.fullmatch(r"\d{6,20}", raw):
        raise Invalid("error_line_channel_id")
    return raw


def validate_channel_secret(turn: Turn, raw: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{32}", raw):
        raise Invalid("error_line_channel_secret", length=len(raw))
    return raw.lower()


def validate_basic_id(turn: Turn, raw: str) -> str:
    raw = raw.replace("＠", "@")
    if not re.fullmatch(r"@[0-9a-zA-Z_.\-]{2,30}", raw):
        raise Invalid("error_line_basic_id")
    return raw


def validate_token(turn: Turn, raw: str) -> str:
    if any(c.isspace() for c in raw):
        raise Invalid("error_line_token_spaces")
    if len(raw) < TOKEN_MIN:
        raise Invalid("error_line_token_short", length=len(raw))
    return raw


def line_client(turn: Turn, token: str) -> LineClient:
    s = turn.ctx.settings
    return LineClient(token, s.line_api_url, s.line_data_url, http=turn.ctx.http, attempts=2)


def check_credentials(turn: Turn, _arg: str):
    """[次へ]: the token must answer GET /v2/bot/info, and the ID typed must be its basic ID
    or its premium ID (`premiumId`, there only where one was bought)."""
    try:
        bot = line_client(turn, turn.data["access_token"]).bot_info()
    except LineApiError as exc:
        if exc.status in (401, 403):
            raise Invalid("error_line_token_refused") from None
        raise Invalid("error_platform", detail=exc.message) from None
    basic, premium = str(bot.get("basicId") or ""), str(bot.get("premiumId") or "")
    typed = turn.data["basic_id"].lower()
    spelt = next((i for i in (basic, premium) if i and i.lower() == typed), None)
    if spelt is None:
        raise Invalid("error_line_basic_id_mismatch", actual=basic, premium=premium)
    turn.data["basic_id"] = spelt  # the ID the admin named, as LINE spells it
    turn.data["line_basic_id"], turn.data["premium_id"] = basic, premium
    turn.data["bot_user_id"] = bot.get("userId", "")
    turn.data["display_name"] = bot.get("displayName", "")
    if not turn.data.get("webhook_token"):
        turn.data["webhook_token"] = links.new_token()
    turn.data["webhook_url"] = links.webhook_url(turn.ctx, LINE.kind, turn.data["webhook_token"])
    return "webhook"


# -- is the channel secret LINE's? -------------------------------------------------------
# turn.data["verify"]: "" (nothing signed arrived yet), "ok", or "bad_signature".

def verified(turn: Turn) -> bool:
    return turn.data.get("verify") == "ok"


def not_verified(turn: Turn) -> bool:
    return not verified(turn)


# -- is "Use webhook" on? ----------------------------------------------------------------
# turn.data["use_webhook"]: "" (not read yet), "on", "off", or "unset" (no Webhook URL at LINE).

def read_webhook(turn: Turn, client: LineClient) -> str:
    """What LINE says of the channel's webhook now; kept in turn.data["use_webhook"]. Raises
    Invalid when LINE does not answer."""
    try:
        endpoint = client.get_webhook_endpoint()
    except LineApiError as exc:
        if exc.status != 404:  # 404: "Webhook endpoint not found", no URL set
            raise Invalid("error_platform", detail=exc.message) from None
        state = "unset"
    else:
        state = "on" if endpoint.get("active") is True else "off"
    turn.data["use_webhook"] = state
    return state


def auto_setup(turn: Turn, _arg: str):
    client = line_client(turn, turn.data["access_token"])
    url = turn.data["webhook_url"]
    try:
        client.set_webhook_endpoint(url)
        # This URL, named: LINE may test (and send to) the old one for up to a minute.
        result = client.test_webhook_endpoint(url)
    except LineApiError as exc:
        raise Invalid("error_line_auto", detail=exc.message) from None
    if result.get("success"):
        turn.data["verify"] = "ok"
        try:
            read_webhook(turn, client)
        except Invalid:
            turn.data["use_webhook"] = ""  # [OK] reads it again
        turn.say("line_auto_ok")
    elif result.get("statusCode") == 401:  # our webhook's answer to a signature that does not match
        turn.data["verify"] = "bad_signature"
    else:
        turn.say("line_auto_failed", status=result.get("statusCode"), reason=result.get("reason", ""))
    return None


def save(turn: Turn, _arg: str):
    if not verified(turn):
        raise Invalid("error_line_not_verified")
    d = turn.data
    # Asked again at each [OK]: the admin switches "Use webhook" on in the console meanwhile.
    if read_webhook(turn, line_client(turn, d["access_token"])) != "on":
        raise Invalid("error_line_webhook_off", state=d["use_webhook"])
    info = {"channel_id": d["channel_id"], "basic_id": d.get("line_basic_id") or d["basic_id"],
            "display_name": d.get("display_name", ""), "bot_user_id": d.get("bot_user_id", ""),
            "configured_by": turn.user_id}
    if d.get("premium_id"):
        info["premium_id"] = d["premium_id"]
    links.save(
        turn.ctx, d["account_id"], LINE.kind, actor=turn.user_id, info_=info,
        secrets_={"channel_secret": d["channel_secret"], "access_token": d["access_token"]},
        token=d["webhook_token"], linked=True,
    )
    turn.say("line_saved", basic_id=d["basic_id"])
    return Goto("accounts", "channel", {"account_id": d["account_id"], "kind": LINE.kind}, back=False)


FIELDS = (
    Step("channel_id", "line_channel_id", field="channel_id", validate=validate_channel_id, next="channel_secret"),
    Step("channel_secret", "line_channel_secret", field="channel_secret", validate=validate_channel_secret,
         next=forgetting("verify", "basic_id"), secret="field_channel_secret"),
    Step("basic_id", "line_basic_id", field="basic_id", validate=validate_basic_id, next="access_token"),
    Step("access_token", "line_access_token", field="access_token", validate=validate_token, next="review",
         secret="field_access_token"),
)

register(Flow(LINE.setup_flow, "flow_line", FIELDS + (
    Step("review", "line_review", buttons=(Button("next", action="next"),), on={"next": check_credentials}),
    Step("webhook", "line_webhook", intro="line_console_steps",
         buttons=(Button("copy_url", copy=lambda t: t.data["webhook_url"]),
                  Button("ok", action="ok", when=verified),
                  Button("reenter_secret", action="secret", when=not_verified),
                  Button("auto_setup", action="auto", when=not_verified)),
         on={"auto": auto_setup, "ok": save, "secret": lambda t, a: "channel_secret_again"},
         events={"signature_ok": noting("verify", "ok"), "signature_bad": noting("verify", "bad_signature")}),
    Step("channel_secret_again", "line_channel_secret_again", field="channel_secret",
         validate=validate_channel_secret, next=forgetting("verify", "webhook"), secret="field_channel_secret"),
)))
