"""LINE WORKS内Bot: the choice (作成する / 連携する), and a bot created by cxbot in a few
answers (名前, 説明, 画像 → [公開] → [OK]). A bot made in Developers Console is linked in
flows/works_console.py.

One inquiry bot per counter account, 1:1 only.
"""

from __future__ import annotations

import re

from cxbot.channels import WORKS_BOT
from cxbot.desk import accounts, admins, images, links, media
from cxbot.works.client import WorksApiError
from cxbot.works.files import check_photo_url
from cxbot.works.limits import MessageLimitError
from flows.steps import Attachment, Button, Flow, Goto, Invalid, Step, Turn, register, within

NAME_MAX = 20
DESCRIPTION_MAX = 100
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# The seed's rule for the file name; its extension says nothing (the bytes say what it is).
IMAGE_STEM = re.compile(r"[a-z0-9]+")
# Members may send everything but their location (the seed's console instruction).
CALLBACK_EVENTS = ["text", "sticker", "image", "file", "audio", "video"]
CHANNEL_EVENTS = ["message", "postback", "begin", "end"]


def back_to_channel(turn: Turn) -> Goto:
    return Goto("accounts", "channel", {"account_id": turn.data["account_id"], "kind": WORKS_BOT.kind}, back=False)


def refuse_second_bot(turn: Turn):
    if links.get(turn.ctx, turn.data["account_id"], WORKS_BOT.kind) is not None:
        turn.say("error_second_bot")
        return back_to_channel(turn)
    return None


# -- simple creation -----------------------------------------------------------------

def validate_name(turn: Turn, raw: str) -> str:
    return within(" ".join(raw.split()), NAME_MAX, "error_name_empty", "error_name_long")


def validate_description(turn: Turn, raw: str) -> str:
    return within(raw, DESCRIPTION_MAX, "error_description_empty", "error_description_long")


def accept_image(turn: Turn, attachment: Attachment) -> dict:
    """A PNG or JPEG (read from its bytes), kept as the 640×640 PNG LINE WORKS wants."""
    try:
        data, _content_type, file_name = turn.ctx.works.download_attachment(turn.ctx.settings.works_bot_id,
                                                                            attachment.file_id)
    except WorksApiError as exc:
        raise Invalid("error_platform", detail=exc.description) from None
    file_name = file_name or ""
    if len(data) >= IMAGE_MAX_BYTES:
        raise Invalid("error_image_size", size_mb=round(len(data) / 1024 / 1024, 1))
    try:
        png = images.profile_png(data)
    except images.NotAnImage:
        raise Invalid("error_image_type") from None
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    if not IMAGE_STEM.fullmatch(stem):
        raise Invalid("error_image_name", file_name=file_name or "?")
    name = f"{stem}.png"
    # Kept for good only once it is the bot's photo; a flow left halfway lets it go.
    token = media.store(turn.ctx, name, "image/png", png)
    return {"token": token, "file_name": name}


def bot_domains(turn: Turn) -> list[int]:
    """Where the bot must be registered for the people who use it: the admin's domain (from
    their callback), CXBOT_WORKS_DOMAIN_ID, and the domain of each of the account's agents."""
    ctx = turn.ctx
    found = [int(d) for d in (turn.domain_id, ctx.settings.works_domain_id or None) if d is not None]
    account = accounts.get(ctx, turn.data["account_id"])
    for agent in accounts.agents(account) if account else []:
        user = admins.lookup_user(ctx, agent)
        if user and user.get("domainId") is not None:
            found.append(int(user["domainId"]))
    return list(dict.fromkeys(found))


def note_public(turn: Turn):
    """Whether [公開] can make the bot public: that needs a domain to register it to."""
    turn.data["public"] = bool(turn.domain_id or turn.ctx.settings.works_domain_id)
    return None


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
    photo_url = media.url(ctx, image["token"], image["file_name"])
    try:
        check_photo_url(photo_url)
    except MessageLimitError:
        raise Invalid("error_photo_url", url=photo_url) from None
    token = links.new_token()
    try:
        domains = bot_domains(turn)
        bot = ctx.works.create_bot({
            "botName": d["bot_name"], "description": d["description"], "photoUrl": photo_url,
            "administrators": [turn.user_id],
            "enableCallback": True, "callbackUrl": links.webhook_url(ctx, WORKS_BOT.kind, token),
            "callbackEvents": CALLBACK_EVENTS, "channelEvents": CHANNEL_EVENTS,
            "enableGroupJoin": False,
        })
        media.keep(ctx, image["token"])
    except WorksApiError as exc:
        raise Invalid("error_platform", detail=exc.description) from None
    # Kept before the registration: a bot that exists is never forgotten, even when the
    # registration fails and the admin leaves.
    links.save(ctx, d["account_id"], WORKS_BOT.kind, actor=turn.user_id, mode="created", token=token, linked=False,
               info_={"bot_id": str(bot["botId"]), "bot_name": d["bot_name"], "description": d["description"],
                      "configured_by": turn.user_id},
               secrets_=None)
    d["bot_id"] = str(bot["botId"])
    try:
        for domain in domains:
            ctx.works.register_bot_domain(bot["botId"], domain, visible=True)
    except WorksApiError as exc:
        turn.say("works_bot_not_registered", detail=exc.description, domain=domain)
        return back_to_channel(turn)
    d["public"] = bool(domains)
    return "published"


def no_spaces(field_label: str):
    """A console value copied whole has no spaces: one inside means a part was copied, or two values."""
    def validate(turn: Turn, raw: str) -> str:
        if any(c.isspace() for c in raw):
            raise Invalid("error_value_spaces", field=turn.texts.label(field_label))
        return raw
    return validate


validate_bot_secret = no_spaces("field_bot_secret")


def save_bot_secret(turn: Turn):
    """The Bot Secret of a saved inquiry bot (one cxbot created, or a Developers Console one):
    its callbacks are checked with it from now on, and the first signed one confirms it."""
    ctx, d = turn.ctx, turn.data
    link = links.get(ctx, d["account_id"], WORKS_BOT.kind)
    if link is None or link.mode not in ("console", "created"):
        raise Invalid("error_not_configured")
    links.save(ctx, d["account_id"], WORKS_BOT.kind, actor=turn.user_id, mode=link.mode, token=link.webhook_token,
               linked=link.linked, info_={**links.info(link), "callback_confirmed": False},
               secrets_={**links.secrets_of(ctx, link), "bot_secret": d.pop("bot_secret")})
    turn.say("works_bot_secret_saved")
    d["secret_given"] = True
    return "published" if turn.flow.name == "works_bot_create" else back_to_channel(turn)


def finish_created(turn: Turn, _arg: str):
    link = links.get(turn.ctx, turn.data["account_id"], WORKS_BOT.kind)
    links.set_linked(turn.ctx, link.id, True, turn.user_id)
    turn.say("works_bot_linked", bot_name=turn.data["bot_name"])
    return back_to_channel(turn)


register(Flow("works_bot_create", "flow_works_bot_create", (
    Step("name", "works_bot_name", field="bot_name", validate=validate_name, next="description",
         enter=refuse_second_bot),
    Step("description", "works_bot_description", field="description", validate=validate_description,
         next="image"),
    Step("image", "works_bot_image", field="image", accepts_file=accept_image, next="review",
         buttons=(Button("skip_image", action="skip"),), on={"skip": skip_image}),
    Step("review", "works_bot_review", enter=note_public, buttons=(Button("publish", action="publish"),),
         on={"publish": publish}),
    # The bot exists from here on: [戻る] is the channel menu (the review would create it again),
    # and [キャンセル] says the bot is kept, not linked.
    Step("published", "works_bot_published", back=back_to_channel, cancel="cancelled_bot_kept",
         buttons=(Button("ok", action="ok"),
                  Button("enter_bot_secret", action="secret", when=lambda t: not t.data.get("secret_given"))),
         on={"ok": finish_created, "secret": lambda t, a: "bot_secret"}),
    # Optional: LINE WORKS signs every callback with the bot's secret, which the Bot API does
    # not return; with it cxbot can tell the platform's callbacks from anyone else's.
    Step("bot_secret", "works_bot_created_secret", field="bot_secret", validate=validate_bot_secret,
         next=save_bot_secret, secret="field_bot_secret", back=lambda t: "published",
         cancel="cancelled_bot_kept"),
)))


# -- which way ------------------------------------------------------------------------

register(Flow(WORKS_BOT.setup_flow, "flow_works_bot", (
    Step("choose", "works_bot_choose", enter=refuse_second_bot, layout="list",
         buttons=(Button("works_bot_create", action="create"), Button("works_console", action="console")),
         on={"create": lambda t, a: Goto("works_bot_create", data={"account_id": t.data["account_id"]}),
             "console": lambda t, a: Goto("works_console", data={"account_id": t.data["account_id"]})}),
)))
