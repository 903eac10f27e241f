"""Counter accounts and their 外部チャネル連携 menu.

list → (create | detail) → rename / agents / channels → channel → [設定] (a setup
flow) / [連携] / [連携解除] / [情報を削除].
"""

from __future__ import annotations

from cxbot import channels
from cxbot.desk import accounts, admins, links
from cxbot.relay import channel_state
from cxbot.works.client import WorksApiError
from flows import busy_reply
from flows.channel_delete import delete_channel
from flows.steps import Button, Flow, Goto, Invalid, Step, Turn, register, within

MAX_LISTED = 7  # account buttons in the list; with [新規作成], [戻る], [キャンセル] within 10


def _account(turn: Turn):
    account = accounts.get(turn.ctx, turn.data.get("account_id"))
    if account is None:
        raise Invalid("error_account_gone")
    return account


# -- list -------------------------------------------------------------------------------

def enter_list(turn: Turn):
    rows = accounts.all_accounts(turn.ctx)
    turn.data["accounts"] = [{"id": a.id, "name": a.name, "address": a.default_address} for a in rows]
    return None


def open_account(turn: Turn, arg: str):
    turn.data["account_id"] = int(arg)
    return "detail" if turn.data.get("purpose") != "channels" else "channels"


def _account_button(i: int) -> Button:
    def label(turn: Turn) -> str:
        return turn.data["accounts"][i]["name"]

    def shown(turn: Turn) -> bool:
        return i < len(turn.data.get("accounts", []))

    return Button("account", action=f"open:{i}", text=label, when=shown)


def open_nth(turn: Turn, arg: str):
    listed = turn.data.get("accounts", [])
    index = int(arg) if arg.isdigit() else -1
    if not 0 <= index < len(listed):
        raise Invalid("error_account_gone")
    return open_account(turn, str(listed[index]["id"]))


def _checked_name(turn: Turn, raw: str, keep_id: int | None) -> str:
    within(raw, accounts.NAME_MAX, "error_name_empty", "error_name_long")
    if accounts.name_taken(turn.ctx, raw, keep_id):
        raise Invalid("error_name_taken", name=raw)
    return raw


def validate_new_name(turn: Turn, raw: str) -> str:
    return _checked_name(turn, raw, None)


def validate_rename(turn: Turn, raw: str) -> str:
    return _checked_name(turn, raw, turn.data["account_id"])


def after_create(turn: Turn):
    account = accounts.create(turn.ctx, turn.data.pop("new_name"), turn.user_id)
    turn.data["account_id"] = account.id
    turn.say("account_created", name=account.name, address=account.default_address)
    return "detail"


# -- detail -----------------------------------------------------------------------------

def enter_detail(turn: Turn):
    account = _account(turn)
    names = []
    for user_id in accounts.agents(account):
        user = admins.lookup_user(turn.ctx, user_id)
        names.append(admins.display_name(user) if user else user_id)
    turn.data.update(name=account.name, address=account.default_address, agent_names=names)
    return None


def after_rename(turn: Turn):
    accounts.rename(turn.ctx, turn.data["account_id"], turn.data.pop("new_name"), turn.user_id)
    turn.say("account_renamed", name=turn.data["name"])
    return "detail"


def validate_agents(turn: Turn, raw: str) -> list[str]:
    refs = [r for r in raw.replace("、", ",").replace("\n", ",").replace(" ", ",").split(",") if r.strip()]
    if not refs:
        raise Invalid("error_agents_empty")
    if len(refs) > 99:
        raise Invalid("error_agents_many")
    found, names, missing = [], [], []
    for ref in refs:
        try:
            user = admins.lookup_user(turn.ctx, ref)
        except WorksApiError as exc:
            raise Invalid("error_platform", detail=exc.description) from None
        if user is None:
            missing.append(ref)
        elif user["userId"] not in found:
            found.append(user["userId"])
            names.append(admins.display_name(user))
    if missing:
        raise Invalid("error_agents_unknown", missing=", ".join(missing))
    turn.data["agent_names"] = names
    return found


def after_agents(turn: Turn):
    accounts.set_agents(turn.ctx, turn.data["account_id"], turn.data.pop("agent_ids"),
                        turn.data["agent_names"], turn.user_id)
    turn.say("agents_saved", names=turn.data["agent_names"])
    return "detail"


# -- channels ---------------------------------------------------------------------------

def enter_channels(turn: Turn):
    account = _account(turn)
    turn.data["name"] = account.name
    turn.data["channel_states"] = {
        kind: turn.texts.label(links.state(links.get(turn.ctx, account.id, kind))) for kind in channels.KINDS
    }
    return None


def open_channel(turn: Turn, arg: str):
    if arg not in channels.KINDS:
        raise Invalid("error_account_gone")
    turn.data["kind"] = arg
    return "channel"


def enter_channel(turn: Turn):
    account = _account(turn)
    channel = channels.get(turn.data["kind"])
    link = links.get(turn.ctx, account.id, channel.kind)
    turn.data.update(
        name=account.name, address=account.default_address, channel_title=turn.texts.label(channel.title),
        state=turn.texts.label(links.state(link)), configured=link is not None,
        linked=bool(link and link.linked), link_info=links.info(link) if link else {},
        webhook=links.webhook_url(turn.ctx, link.kind, link.webhook_token) if link and link.webhook_token else "",
        bot_secret_missing=_bot_secret_missing(turn, link),
    )
    return None


def _bot_secret_missing(turn: Turn, link) -> bool:
    """An inquiry bot cxbot created whose Bot Secret the admin has not given: its callbacks
    are guarded by the URL's token alone."""
    return (link is not None and link.kind == channels.WORKS_BOT.kind and link.mode == "created"
            and not links.secrets_of(turn.ctx, link).get(channels.WORKS_BOT.signing_secret))


def setup(turn: Turn, _arg: str):
    return Goto(channels.get(turn.data["kind"]).setup_flow, data={"account_id": turn.data["account_id"]})


def _unconfirmed_bot_secret(link) -> bool:
    """A Developers Console bot no callback signed with its Bot Secret has reached yet."""
    return (link.kind == channels.WORKS_BOT.kind and link.mode == "console"
            and not links.info(link).get("callback_confirmed"))


def link_on(turn: Turn, _arg: str):
    link = links.get(turn.ctx, turn.data["account_id"], turn.data["kind"])
    if link is None:
        raise Invalid("error_not_configured")
    if _unconfirmed_bot_secret(link):
        return "confirm_link"
    links.set_linked(turn.ctx, link.id, True, turn.user_id)
    turn.say("linked_on", channel_title=turn.data["channel_title"])
    return "channel"


def link_anyway(turn: Turn, _arg: str):
    link = links.get(turn.ctx, turn.data["account_id"], turn.data["kind"])
    if link is None:
        raise Invalid("error_not_configured")
    warning = "secret_unverified" if _unconfirmed_bot_secret(link) else ""
    links.set_linked(turn.ctx, link.id, True, turn.user_id, warning=warning)
    turn.say("linked_on", channel_title=turn.data["channel_title"])
    return "channel"


def enter_bot_secret(turn: Turn, _arg: str):
    return Goto("works_bot_secret", "bot_secret", {"account_id": turn.data["account_id"],
                                                   "bot_name": turn.data["link_info"].get("bot_name", "")})


def confirm_unlink(turn: Turn, _arg: str):
    link = links.get(turn.ctx, turn.data["account_id"], turn.data["kind"])
    if link is None or not link.linked:
        raise Invalid("error_not_linked")
    links.set_linked(turn.ctx, link.id, False, turn.user_id)
    rooms = channel_state.tell_open_rooms(turn.ctx, link.counter_account_id, link.kind, "unlinked",
                                          channel_state.channel_name(links.info(link)))
    turn.say("linked_off", channel_title=turn.data["channel_title"], rooms=rooms,
             out_of_service=channels.get(link.kind).answers_while_unlinked)
    return "channel"


def confirm_delete(turn: Turn, _arg: str):
    delete_channel(turn)
    return "channel"


# -- the out-of-service reply (while unlinked) ---------------------------------------------

def _link(turn: Turn):
    link = links.get(turn.ctx, turn.data["account_id"], turn.data["kind"])
    if link is None:
        raise Invalid("error_not_configured")
    return link


def enter_out_of_service(turn: Turn):
    info = links.info(_link(turn))
    turn.data["out_of_service_custom"] = bool(info.get(channel_state.INFO_KEY))
    turn.data["out_of_service_current"] = channel_state.out_of_service_text(turn.ctx, turn.data["kind"], info)
    turn.data["out_of_service_limit"] = channel_state.TEXT_MAX
    return None


def validate_out_of_service(turn: Turn, raw: str) -> str:
    return within(raw, channel_state.TEXT_MAX, "error_out_of_service_empty", "error_out_of_service_long")


def after_out_of_service(turn: Turn):
    text = turn.data.pop("out_of_service_text")
    links.change_info(turn.ctx, _link(turn).id, {channel_state.INFO_KEY: text}, turn.user_id, "out_of_service")
    turn.say("out_of_service_saved", text=text, custom=True)
    return "channel"


def reset_out_of_service(turn: Turn, _arg: str):
    links.change_info(turn.ctx, _link(turn).id, {channel_state.INFO_KEY: None}, turn.user_id, "out_of_service")
    turn.say("out_of_service_saved", text=channel_state.default_out_of_service(turn.ctx, turn.data["kind"]),
             custom=False)
    return "channel"


def _configured(turn: Turn) -> bool:
    return bool(turn.data.get("configured"))


def _can_link(turn: Turn) -> bool:
    return _configured(turn) and not turn.data.get("linked")


def _can_unlink(turn: Turn) -> bool:
    return bool(turn.data.get("linked"))


def _answers_while_unlinked(turn: Turn) -> bool:
    kind = turn.data.get("kind")
    return kind in channels.KINDS and channels.get(kind).answers_while_unlinked


def _has_out_of_service(turn: Turn) -> bool:
    return _configured(turn) and _answers_while_unlinked(turn)


def enter_confirm_unlink(turn: Turn):
    turn.data["out_of_service"] = _answers_while_unlinked(turn)  # the confirmation says what goes on meanwhile
    return None


register(Flow("accounts", "counter_accounts", cancel="closed", steps=(
    Step("list", "accounts_list", enter=enter_list,
         buttons=tuple(_account_button(i) for i in range(MAX_LISTED)) + (Button("create", action="create"),),
         on={"open": open_nth, "create": lambda t, a: "create"}),
    Step("create", "account_create", field="new_name", validate=validate_new_name, next=after_create),
    Step("detail", "account_detail", enter=enter_detail,
         buttons=(Button("external_channels", action="channels"), Button("set_agents", action="agents"),
                  Button("rename", action="rename"), Button("account_list", action="list")),
         on={"channels": lambda t, a: "channels", "agents": lambda t, a: "agents",
             "rename": lambda t, a: "rename", "list": lambda t, a: "list"}),
    Step("rename", "account_rename", field="new_name", validate=validate_rename, next=after_rename),
    Step("agents", "account_agents", field="agent_ids", validate=validate_agents, next=after_agents),
    Step("channels", "channels_menu", enter=enter_channels, title="external_channels",
         buttons=tuple(Button(c.title, action=f"open_channel:{c.kind}") for c in channels.ALL),
         on={"open_channel": open_channel}),
    Step("channel", "channel_detail", enter=enter_channel, title="external_channels",
         buttons=(Button("setup", action="setup"),
                  Button("copy_url", copy=lambda t: t.data["webhook"], when=lambda t: bool(t.data.get("webhook"))),
                  Button("link", action="link", when=_can_link),
                  Button("unlink", action="unlink", when=_can_unlink),
                  Button("delete_info", action="delete", when=_configured),
                  Button("out_of_service", action="out_of_service", when=_has_out_of_service),
                  Button("busy_reply", action="busy_reply", when=busy_reply.has_busy_reply),
                  Button("enter_bot_secret", action="secret", when=lambda t: t.data.get("bot_secret_missing"))),
         on={"setup": setup, "link": link_on, "unlink": lambda t, a: "confirm_unlink", "secret": enter_bot_secret,
             "delete": lambda t, a: "confirm_delete", "out_of_service": lambda t, a: "out_of_service",
             "busy_reply": lambda t, a: "busy_reply"}),
    Step("confirm_unlink", "confirm_unlink", enter=enter_confirm_unlink, title="external_channels",
         buttons=(Button("unlink", action="yes"),), on={"yes": confirm_unlink}),
    Step("confirm_delete", "confirm_delete", title="external_channels",
         buttons=(Button("delete_info", action="yes"),), on={"yes": confirm_delete}),
    Step("confirm_link", "confirm_link_unconfirmed", title="external_channels",
         buttons=(Button("link_anyway", action="yes"), Button("reenter_bot_secret", action="secret")),
         on={"yes": link_anyway, "secret": enter_bot_secret}),
    Step("out_of_service", "out_of_service", enter=enter_out_of_service, field="out_of_service_text",
         validate=validate_out_of_service, next=after_out_of_service, title="external_channels",
         buttons=(Button("out_of_service_reset", action="reset", when=lambda t: t.data.get("out_of_service_custom")),),
         on={"reset": reset_out_of_service}),
    Step("busy_reply", "busy_reply", enter=busy_reply.enter, field="busy_reply_text", validate=busy_reply.validate,
         next=busy_reply.after, title="external_channels",
         buttons=(Button("busy_reply_reset", action="reset", when=lambda t: t.data.get("busy_reply_custom")),),
         on={"reset": busy_reply.reset}),
)))

