"""[混雑時の自動返信] in a channel's menu: the busy notice's text (relay.busy), shown, changed,
or back to the default, as [受付停止中の返信] does for the out-of-service reply. Its steps
belong to the accounts flow (flows.accounts), whose channel menu leads here."""

from __future__ import annotations

from cxbot.desk import links
from cxbot.relay import busy
from flows.steps import Invalid, Turn, within


def _link(turn: Turn):
    link = links.get(turn.ctx, turn.data["account_id"], turn.data["kind"])
    if link is None:
        raise Invalid("error_not_configured")
    return link


def has_busy_reply(turn: Turn) -> bool:
    """The menu offers it for a channel set up whose customers get the notice."""
    return bool(turn.data.get("configured")) and busy.applies(turn.data.get("kind", ""))


def enter(turn: Turn):
    info = links.info(_link(turn))
    turn.data["busy_reply_custom"] = bool(info.get(busy.INFO_KEY))
    turn.data["busy_reply_current"] = busy.text(turn.ctx, turn.data["kind"], info)
    turn.data["busy_reply_limit"] = busy.TEXT_MAX
    return None


def validate(turn: Turn, raw: str) -> str:
    # The out-of-service reply's errors say nothing of which text: the same ones fit.
    return within(raw, busy.TEXT_MAX, "error_out_of_service_empty", "error_out_of_service_long")


def after(turn: Turn):
    text = turn.data.pop("busy_reply_text")
    links.change_info(turn.ctx, _link(turn).id, {busy.INFO_KEY: text}, turn.user_id, "busy_reply")
    turn.say("busy_reply_saved", text=text, custom=True)
    return "channel"


def reset(turn: Turn, _arg: str):
    links.change_info(turn.ctx, _link(turn).id, {busy.INFO_KEY: None}, turn.user_id, "busy_reply")
    turn.say("busy_reply_saved", text=busy.default_text(turn.ctx, turn.data["kind"]), custom=False)
    return "channel"
