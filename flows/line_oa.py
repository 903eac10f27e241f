"""LINE公式アカウント連携: the seed's four fields → [次へ] → Webhook URL → Verify → [OK].

Beyond the seed, [自動設定] sets the webhook endpoint through the Messaging API and
runs LINE's webhook test, so the admin copies nothing.
"""

from __future__ import annotations

import re

from cxbot import links
from cxbot.line.client import LineApiError, LineClient
from flows.engine import Button, Flow, Goto, Invalid, Step, Turn, register


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
    if not raw or any(c.isspace() for c in raw) or len(raw) < 20:
        raise Invalid("error_line_token")
    return raw


def line_client(turn: Turn, token: str) -> LineClient:
    s = turn.ctx.settings
    return LineClient(token, s.line_api_url, s.line_data_url, http=turn.ctx.http, attempts=2)


def check_credentials(turn: Turn, _arg: str):
    """[次へ]: the token must answer GET /v2/bot/info, and its basic ID must be the one typed."""
    try:
        bot = line_client(turn, turn.data["access_token"]).bot_info()
    except LineApiError as exc:
        if exc.status in (401, 403):
            raise Invalid("error_line_token_refused") from None
        raise Invalid("error_platform", detail=exc.message) from None
    if bot.get("basicId", "").lower() != turn.data["basic_id"].lower():
        raise Invalid("error_line_basic_id_mismatch", actual=bot.get("basicId", ""))
    turn.data["bot_user_id"] = bot.get("userId", "")
    turn.data["display_name"] = bot.get("displayName", "")
    if not turn.data.get("webhook_token"):
        turn.data["webhook_token"] = links.new_token()
    turn.data["webhook_url"] = links.webhook_url(turn.ctx, "line", turn.data["webhook_token"])
    return "webhook"


def auto_setup(turn: Turn, _arg: str):
    client = line_client(turn, turn.data["access_token"])
    try:
        client.set_webhook_endpoint(turn.data["webhook_url"])
        result = client.test_webhook_endpoint()
    except LineApiError as exc:
        raise Invalid("error_line_auto", detail=exc.message) from None
    if result.get("success"):
        turn.say("line_auto_ok")
    else:
        turn.say("line_auto_failed", status=result.get("statusCode"), reason=result.get("reason", ""),
                 detail=result.get("detail", ""))
    return None


def save(turn: Turn, _arg: str):
    d = turn.data
    links.save(
        turn.ctx, d["account_id"], "line", actor=turn.user_id,
        info_={"channel_id": d["channel_id"], "basic_id": d["basic_id"], "display_name": d.get("display_name", ""),
               "bot_user_id": d.get("bot_user_id", ""), "configured_by": turn.user_id},
        secrets_={"channel_secret": d["channel_secret"], "access_token": d["access_token"]},
        token=d["webhook_token"], linked=True,
    )
    turn.say("line_saved", basic_id=d["basic_id"])
    return Goto("accounts", "channel", {"account_id": d["account_id"], "kind": "line"})


FIELDS = (
    Step("channel_id", "line_channel_id", field="channel_id", validate=validate_channel_id, next="channel_secret"),
    Step("channel_secret", "line_channel_secret", field="channel_secret", validate=validate_channel_secret,
         next="basic_id", secret=True),
    Step("basic_id", "line_basic_id", field="basic_id", validate=validate_basic_id, next="access_token"),
    Step("access_token", "line_access_token", field="access_token", validate=validate_token, next="review",
         secret=True),
)

register(Flow("line_setup", "channel_line", FIELDS + (
    Step("review", "line_review", buttons=(Button("next", action="next"),), on={"next": check_credentials}),
    Step("webhook", "line_webhook", intro="line_console_steps",
         buttons=(Button("copy_url", copy=lambda t: t.data["webhook_url"]),
                  Button("auto_setup", action="auto"),
                  Button("ok", action="ok")),
         on={"auto": auto_setup, "ok": save}),
)))
