"""The hub bot: admins configure cxbot by chatting with it 1:1; anyone else is refused.

Typed text and pressed buttons go to the admin's flow in progress (flows/); the
main menu starts flows. CX Talk room traffic is the relay's business.
"""

from __future__ import annotations

import logging

from cxbot.context import Context
from cxbot.desk import admins
from cxbot.relay import intake, rooms
from cxbot.works import messages as m
from cxbot.works.events import (
    BeginEvent,
    Event,
    FileContent,
    ImageContent,
    MessageEvent,
    PostbackEvent,
    TextContent,
    parse_event,
)
from flows import Engine, Input
from flows.steps import Attachment

log = logging.getLogger(__name__)

MENU_ITEMS = (
    ("counter_accounts", "menu:accounts"),
    ("external_channels", "menu:channels"),
    ("admins", "menu:admins"),
    ("audit_log", "menu:audit"),
    ("help", "menu:help"),
)
MENU_WORDS = {"メニュー", "menu", "めにゅー"}


def main_menu(ctx: Context) -> dict:
    t = ctx.texts
    actions = [m.message_action(t.label(key), postback=data) for key, data in MENU_ITEMS]
    return m.button_template(t.render("main_menu"), actions)


def _input(event: Event) -> Input | None:
    domain = event.source.domain_id
    if isinstance(event, PostbackEvent):
        return Input(postback=event.data, domain_id=domain)
    if isinstance(event, MessageEvent):
        c = event.content
        if isinstance(c, TextContent):
            return Input(text=c.text, postback=c.postback, domain_id=domain)
        if isinstance(c, ImageContent):
            return Input(attachment=Attachment("image", c.file_id), domain_id=domain)
        if isinstance(c, FileContent):
            return Input(attachment=Attachment("file", c.file_id), domain_id=domain)
        return Input(text="", domain_id=domain)
    return None


def menu_choice(ctx: Context, engine: Engine, user_id: str, choice: str) -> list[dict]:
    if choice == "menu:accounts":
        return engine.start(user_id, "accounts")
    if choice == "menu:channels":
        return engine.start(user_id, "accounts", data={"purpose": "channels"})
    if choice == "menu:admins":
        return engine.start(user_id, "admins")
    if choice == "menu:audit":
        return engine.start(user_id, "audit")
    if choice == "menu:help":
        return [m.text(ctx.texts.render("help"))]
    return [main_menu(ctx)]


def respond(ctx: Context, user_id: str, inp: Input) -> list[dict]:
    """What the hub bot answers an admin."""
    engine = Engine(ctx, inp.domain_id)
    if inp.postback and inp.postback.startswith("menu:"):
        return menu_choice(ctx, engine, user_id, inp.postback)
    if inp.text is not None and inp.text.strip().lower() in MENU_WORDS:
        # Shown even in the middle of a flow, which stays open: picking an item asks first.
        return [main_menu(ctx)]
    handled = engine.handle(user_id, inp)
    if handled is None:
        return [main_menu(ctx)]
    return handled


def handle(ctx: Context, body: str, _link_token: str | None = None) -> None:
    event = parse_event(body)
    if rooms.handle(ctx, event):
        return  # a CX Talk room cxbot opened: an agent answering
    if intake.handle(ctx, event):
        return  # an intake room: an agent taking a waiting customer
    user_id = event.source.user_id
    begin = isinstance(event, BeginEvent)
    inp = _input(event)
    if not user_id or (inp is None and not begin):
        return
    if not admins.is_admin(ctx, user_id):
        deliver(ctx, user_id, [m.text(ctx.texts.render("not_admin"))])
        log.info("non-admin %s wrote to the hub bot; refused", user_id)
        return
    if begin:
        # The room was opened: say what this bot is for; the menu follows the admin's first word.
        deliver(ctx, user_id, [m.text(ctx.texts.render("greeting"))])
        return
    deliver(ctx, user_id, respond(ctx, user_id, inp))


def deliver(ctx: Context, user_id: str, contents: list[dict]) -> None:
    for content in contents:
        ctx.works.send_to_user(ctx.settings.works_bot_id, user_id, content)
