"""A ready-made counter account for `cxbot demo`: LINE, mail and an inquiry bot, all linked.

A newcomer can play a LINE customer, an email customer or an employee at once; the
admin can still walk every setup flow on a second counter account.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from cxbot.context import Context
from cxbot.demo.tenant import ADMIN, USERS
from cxbot.desk import accounts, links, media

DESK_NAME = "デモ窓口"
BOT_DESCRIPTION = "社内の問い合わせ窓口です。ご質問をどうぞ。担当者がお答えします。"


@dataclass(frozen=True)
class Desk:
    account_id: int
    address: str
    line_channel_id: str
    bot_id: int


def link_line(ctx: Context, sandbox: httpx.Client, account_id: int, channel: dict, actor: str) -> str:
    """Link a sandbox LINE Official Account as the LINE setup flow's [OK] would, and set it up
    in the sandbox's consoles as cxbot tells the admin to: the Webhook URL pasted, "Use webhook"
    and "Webhook redelivery" on (LINE Developers console), 応答メッセージ and あいさつメッセージ
    off (LINE Official Account Manager). Returns the webhook token."""
    token = links.new_token()
    links.save(ctx, account_id, "line", actor=actor, token=token, linked=True,
               info_={"channel_id": channel["channelId"], "basic_id": channel["basicId"],
                      "display_name": channel.get("displayName", ""), "configured_by": actor},
               secrets_={"channel_secret": channel["channelSecret"], "access_token": channel["accessToken"]})
    sandbox.post("/_sandbox/line/console/webhook", json={
        "channelId": channel["channelId"], "endpoint": links.webhook_url(ctx, "line", token),
        "useWebhook": True, "webhookRedelivery": True}).raise_for_status()
    sandbox.post("/_sandbox/line/oam/settings", json={
        "channelId": channel["channelId"], "autoReply": False, "greeting": False}).raise_for_status()
    return token


def seed_desk(ctx: Context, sandbox_url: str, line_channel: dict) -> Desk:
    agents = [u for u in USERS if u.role == "agent"]
    account = accounts.create(ctx, DESK_NAME, ADMIN.user_id, slug="support")
    accounts.set_agents(ctx, account.id, [a.user_id for a in agents], [a.email for a in agents], ADMIN.user_id)

    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        link_line(ctx, http, account.id, line_channel, ADMIN.user_id)

    links.save(ctx, account.id, "mail", actor=ADMIN.user_id, token=links.new_token(), linked=True,
               info_={"address": account.default_address, "configured_by": ADMIN.user_id}, secrets_=None)

    bot_token = links.new_token()
    photo = media.store(ctx, "desk.png", "image/png", media.default_bot_png(), lasting=True)
    bot = ctx.works.create_bot({
        "botName": "デモ窓口Bot", "description": BOT_DESCRIPTION, "photoUrl": media.url(ctx, photo, "desk.png"),
        "administrators": [ADMIN.user_id], "enableCallback": True,
        "callbackUrl": links.webhook_url(ctx, "works_bot", bot_token),
        "callbackEvents": ["text", "sticker", "image", "file", "audio", "video"],
        "channelEvents": ["message", "postback", "begin", "end"], "enableGroupJoin": False})
    ctx.works.register_bot_domain(bot["botId"], ctx.settings.works_domain_id, visible=True)
    links.save(ctx, account.id, "works_bot", actor=ADMIN.user_id, token=bot_token, linked=True, mode="created",
               info_={"bot_id": str(bot["botId"]), "bot_name": "デモ窓口Bot", "description": BOT_DESCRIPTION,
                      "configured_by": ADMIN.user_id}, secrets_=None)
    return Desk(account.id, account.default_address, line_channel["channelId"], bot["botId"])
