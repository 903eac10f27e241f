"""LINE WORKS内Bot: created by cxbot in a few answers (名前, 説明, 画像 → [公開] → [OK]),
or a bot made in Developers Console linked with its ClientApp credentials.

One inquiry bot per counter account, 1:1 only.
"""

from __future__ import annotations

import re

from cxbot import links, media
from cxbot.works import auth
from cxbot.works.auth import TokenGrantError, WorksApp
from cxbot.works.client import WorksApiError, WorksClient
from flows.engine import Attachment, Button, Flow, Goto, Invalid, Step, Turn, register

NAME_MAX = 20
DESCRIPTION_MAX = 100
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_NAME = re.compile(r"[a-z0-9]+\.(png|jpe?g)")
# Members may send everything but their location (the seed's console instruction).
CALLBACK_EVENTS = ["text", "sticker", "image", "file", "audio", "video"]
CHANNEL_EVENTS = ["message", "postback", "begin", "end"]


def back_to_channel(turn: Turn) -> Goto:
    return Goto("accounts", "channel", {"account_id": turn.data["account_id"], "kind": "works_bot"})


def refuse_second_bot(turn: Turn):
    if links.get(turn.ctx, turn.data["account_id"], "works_bot") is not None:
        turn.say("error_second_bot")
        return back_to_channel(turn)
    return None


# -- simple creation -----------------------------------------------------------------

def validate_name(turn: Turn, raw: str) -> str:
    raw = " ".join(raw.split())
    if not raw:
        raise Invalid("error_name_empty")
    if len(raw) > NAME_MAX:
        raise Invalid("error_name_long", limit=NAME_MAX, length=len(raw))
    return raw


def validate_description(turn: Turn, raw: str) -> str:
    if not raw:
        raise Invalid("error_description_empty")
    if len(raw) > DESCRIPTION_MAX:
        raise Invalid("error_description_long", limit=DESCRIPTION_MAX, length=len(raw))
    return raw


def accept_image(turn: Turn, attachment: Attachment) -> dict:
    try:
        data, content_type, file_name = turn.ctx.works.download_attachment(turn.ctx.settings.works_bot_id,
                                                                           attachment.file_id)
    except WorksApiError as exc:
        raise Invalid("error_platform", detail=exc.description) from None
    file_name = file_name or ""
    if len(data) >= IMAGE_MAX_BYTES:
        raise Invalid("error_image_size", size_mb=round(len(data) / 1024 / 1024, 1))
    kind = media.sniff(data)
    if kind is None:
        raise Invalid("error_image_type")
    if not IMAGE_NAME.fullmatch(file_name):
        raise Invalid("error_image_name", file_name=file_name or "?")
    token = media.store(turn.ctx, file_name, kind, data)
    return {"token": token, "file_name": file_name}


def skip_image(turn: Turn, _arg: str):
    turn.data["image"] = None
    return "review"


def publish(turn: Turn, _arg: str):
    """[公開]: create the bot through the Bot API, register it to the domain, keep the link."""
    ctx, d = turn.ctx, turn.data
    if refuse_second_bot(turn) is not None:
        return back_to_channel(turn)
    image = d.get("image") or {"token": media.store(ctx, "bot.png", "image/png", media.default_bot_png()),
                               "file_name": "bot.png"}
    token = links.new_token()
    try:
        bot = ctx.works.create_bot({
            "botName": d["bot_name"], "description": d["description"],
            "photoUrl": media.url(ctx, image["token"], image["file_name"]),
            "administrators": [turn.user_id],
            "enableCallback": True, "callbackUrl": links.webhook_url(ctx, "works_bot", token),
            "callbackEvents": CALLBACK_EVENTS, "channelEvents": CHANNEL_EVENTS,
            "enableGroupJoin": False,
        })
        if ctx.settings.works_domain_id:
            ctx.works.register_bot_domain(bot["botId"], ctx.settings.works_domain_id, visible=True)
    except WorksApiError as exc:
        raise Invalid("error_platform", detail=exc.description) from None
    links.save(ctx, d["account_id"], "works_bot", actor=turn.user_id, mode="created", token=token, linked=False,
               info_={"bot_id": str(bot["botId"]), "bot_name": d["bot_name"], "description": d["description"],
                      "configured_by": turn.user_id},
               secrets_=None)
    d["bot_id"] = str(bot["botId"])
    return "published"


def finish_created(turn: Turn, _arg: str):
    link = links.get(turn.ctx, turn.data["account_id"], "works_bot")
    links.set_linked(turn.ctx, link.id, True, turn.user_id)
    turn.say("works_bot_linked", bot_name=turn.data["bot_name"])
    return back_to_channel(turn)


register(Flow("works_bot_create", "works_bot_create", (
    Step("name", "works_bot_name", field="bot_name", validate=validate_name, next="description",
         enter=refuse_second_bot),
    Step("description", "works_bot_description", field="description", validate=validate_description,
         next="image"),
    Step("image", "works_bot_image", field="image", accepts_file=accept_image, next="review",
         buttons=(Button("skip_image", action="skip"),), on={"skip": skip_image}),
    Step("review", "works_bot_review", buttons=(Button("publish", action="publish"),), on={"publish": publish}),
    Step("published", "works_bot_published", back=False,
         buttons=(Button("ok", action="ok"),), on={"ok": finish_created}),
)))


# -- Developer Console ---------------------------------------------------------------

def validate_required(turn: Turn, raw: str) -> str:
    if not raw or any(c.isspace() for c in raw):
        raise Invalid("error_value_format")
    return raw


def validate_private_key(turn: Turn, raw: str) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

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
    d["webhook_url"] = links.webhook_url(ctx, "works_bot", d["webhook_token"])
    return "webhook"


def save_console(turn: Turn, _arg: str):
    d = turn.data
    links.save(turn.ctx, d["account_id"], "works_bot", actor=turn.user_id, mode="console",
               token=d["webhook_token"], linked=False,
               info_={"bot_id": d["bot_id"], "bot_name": d.get("bot_name", ""), "client_id": d["client_id"],
                      "service_account": d["service_account"], "configured_by": turn.user_id},
               secrets_={"client_secret": d["client_secret"], "private_key": d["private_key"],
                         "bot_secret": d["bot_secret"]})
    turn.say("works_console_saved", bot_name=d.get("bot_name", ""))
    return back_to_channel(turn)


register(Flow("works_console", "works_console", (
    Step("client_id", "console_client_id", field="client_id", validate=validate_required, next="client_secret",
         enter=refuse_second_bot),
    Step("client_secret", "console_client_secret", field="client_secret", validate=validate_required,
         next="service_account", secret=True),
    Step("service_account", "console_service_account", field="service_account", validate=validate_required,
         next="private_key"),
    Step("private_key", "console_private_key", field="private_key", validate=validate_private_key,
         accepts_file=accept_key_file, next="bot_id", secret=True),
    Step("bot_id", "console_bot_id", field="bot_id", validate=validate_bot_id, next="bot_secret"),
    Step("bot_secret", "console_bot_secret", field="bot_secret", validate=validate_required, next="review",
         secret=True),
    Step("review", "console_review", buttons=(Button("next", action="next"),), on={"next": check_console}),
    Step("webhook", "console_webhook", intro="console_steps",
         buttons=(Button("copy_url", copy=lambda t: t.data["webhook_url"]), Button("ok", action="ok")),
         on={"ok": save_console}),
)))


# -- which way ------------------------------------------------------------------------

register(Flow("works_bot_choose", "channel_works_bot", (
    Step("choose", "works_bot_choose", enter=refuse_second_bot, layout="list",
         buttons=(Button("works_bot_create", action="create"), Button("works_console", action="console")),
         on={"create": lambda t, a: Goto("works_bot_create", data={"account_id": t.data["account_id"]}),
             "console": lambda t, a: Goto("works_console", data={"account_id": t.data["account_id"]})}),
)))
