"""Admins: those in CXBOT_ADMINS add (and remove) further admins in chat."""

from __future__ import annotations

from cxbot.desk import admins
from flows.steps import Button, Flow, Invalid, Step, Turn, register


def enter_list(turn: Turn):
    rows = admins.added(turn.ctx)
    names = []
    for row in rows:
        user = admins.lookup_user(turn.ctx, row.user_id)
        names.append(admins.display_name(user) if user else row.user_id)
    turn.data["configured"] = list(turn.ctx.settings.admins)
    turn.data["added"] = [{"id": r.user_id, "name": n} for r, n in zip(rows, names)]
    return None


def _user(turn: Turn, raw: str) -> dict:
    user = admins.lookup_user(turn.ctx, raw)
    if user is None:
        raise Invalid("error_user_unknown", ref=raw)
    return user


def add(turn: Turn, raw: str) -> str:
    user = _user(turn, raw)
    if admins.is_admin(turn.ctx, user["userId"]):
        raise Invalid("error_already_admin", name=admins.display_name(user))
    admins.add(turn.ctx, user["userId"], turn.user_id, admins.display_name(user))
    turn.say("admin_added", name=admins.display_name(user))
    return user["userId"]


def remove(turn: Turn, raw: str) -> str:
    user = _user(turn, raw)
    if user["userId"] == turn.user_id:
        raise Invalid("error_remove_self")
    if not admins.remove(turn.ctx, user["userId"], turn.user_id, admins.display_name(user)):
        raise Invalid("error_not_added_admin", name=admins.display_name(user))
    turn.say("admin_removed", name=admins.display_name(user))
    return user["userId"]


register(Flow("admins", "admins", cancel="closed", steps=(
    Step("list", "admins_list", enter=enter_list,
         buttons=(Button("add_admin", action="add"), Button("remove_admin", action="remove")),
         on={"add": lambda t, a: "add", "remove": lambda t, a: "remove"}),
    Step("add", "admins_add", field="added_id", validate=add, next="list"),
    Step("remove", "admins_remove", field="removed_id", validate=remove, next="list"),
)))
