"""The hub bot: what admins (and anyone else) get when they write to it 1:1.

The setup flows plug in here (flows/); CX Talk room traffic is the relay's.
"""

from __future__ import annotations

import logging
import time

from cxbot.context import Context
from cxbot.works import messages as m
from cxbot.works.client import WorksApiError
from cxbot.works.events import Event, MessageEvent, PostbackEvent, TextContent, parse_event

log = logging.getLogger(__name__)

MENU_ITEMS = (
    ("counter_accounts", "menu:accounts"),
    ("external_channels", "menu:channels"),
    ("audit_log", "menu:audit"),
    ("help", "menu:help"),
)
_EMAIL_CACHE_SECONDS = 600
_email_cache: dict[str, tuple[str, float]] = {}


def user_email(ctx: Context, user_id: str) -> str | None:
    hit = _email_cache.get(user_id)
    if hit and hit[1] > time.time():
        return hit[0]
    try:
        email = str(ctx.works.get_user(user_id).get("email") or "")
    except WorksApiError as exc:
        if exc.status == 404:
            return None
        raise
    _email_cache[user_id] = (email, time.time() + _EMAIL_CACHE_SECONDS)
    return email


def is_admin(ctx: Context, user_id: str | None) -> bool:
    if not user_id:
        return False
    admins = ctx.settings.admins
    if user_id in admins:
        return True
    emails = {a.lower() for a in admins if "@" in a}
    if not emails:
        return False
    email = user_email(ctx, user_id)
    return bool(email) and email.lower() in emails


def main_menu(ctx: Context) -> dict:
    t = ctx.texts
    actions = [m.message_action(t.label(key), postback=data) for key, data in MENU_ITEMS]
    return m.button_template(t.render("main_menu"), actions)


def _pressed(event: Event) -> str | None:
    """The postback data of a pressed button, whichever way LINE WORKS delivered it."""
    if isinstance(event, PostbackEvent):
        return event.data
    if isinstance(event, MessageEvent) and isinstance(event.content, TextContent):
        return event.content.postback
    return None


def handle(ctx: Context, body: str) -> None:
    event = parse_event(body)
    if not event.is_direct:
        return  # a CX Talk room: the relay's business
    user_id = event.source.user_id
    # `begin` (the room opened) is left unanswered: the admin's first message follows
    # at once, and answering both would show the menu twice.
    if not user_id or not isinstance(event, (MessageEvent, PostbackEvent)):
        return
    bot_id = ctx.settings.works_bot_id
    if not is_admin(ctx, user_id):
        ctx.works.send_to_user(bot_id, user_id, m.text(ctx.texts.render("not_admin")))
        log.info("non-admin %s wrote to the hub bot; refused", user_id)
        return
    if _pressed(event) == "menu:help":
        ctx.works.send_to_user(bot_id, user_id, m.text(ctx.texts.render("help")))
        return
    ctx.works.send_to_user(bot_id, user_id, main_menu(ctx))
