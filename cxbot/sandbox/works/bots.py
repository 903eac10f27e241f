"""Bot management: `/v1.0/bots`, `/v1.0/bots/{botId}`, `/v1.0/bots/{botId}/domains...`
(reference §4). A bot made here gets a generated Bot Secret, readable through the
control API (`GET /_sandbox/bots/{botId}`), as Developers Console shows it.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, request

from ..clock import now
from . import photos
from .api import (
    SCOPES_BOT_ADMIN,
    SCOPES_BOT_READ,
    created,
    get_bot,
    json_body,
    page,
    require_token,
    works,
)
from .errors import invalid, not_found
from .model import (
    CALLBACK_MESSAGE_TYPES,
    CHANNEL_EVENTS,
    DEFAULT_CHANNEL_EVENTS,
    Bot,
    BotDomain,
)
from .state import WorksWorld
from .validate import LANGUAGES, ContentError, check_url

bp = Blueprint("sandbox_bots", __name__, url_prefix="/v1.0")

# field -> (attribute, default for PUT)
BOT_FIELDS = {
    "botName": ("bot_name", None),
    "photoUrl": ("photo_url", None),
    "description": ("description", None),
    "administrators": ("administrators", None),
    "subadministrators": ("subadministrators", list),
    "allowDomains": ("allow_domains", list),
    "enableCallback": ("enable_callback", lambda: False),
    "callbackUrl": ("callback_url", lambda: ""),
    "callbackEvents": ("callback_events", lambda: list(CALLBACK_MESSAGE_TYPES)),
    "channelEvents": ("channel_events", lambda: list(DEFAULT_CHANNEL_EVENTS)),
    "enableGroupJoin": ("enable_group_join", lambda: False),
    "defaultRichmenuId": ("default_richmenu_id", lambda: None),
    "i18nBotNames": ("i18n_bot_names", list),
    "i18nDescriptions": ("i18n_descriptions", list),
    "i18nPhotoUrls": ("i18n_photo_urls", list),
}
REQUIRED_FIELDS = ("botName", "photoUrl", "description", "administrators")


def _string(data: dict, key: str, max_len: int) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{key}: required, a non-empty string of at most {max_len} characters")
    if len(value) > max_len:
        raise invalid(f"{key}: must be at most {max_len} characters (got {len(value)})")
    return value


def _bool(data: dict, key: str) -> bool:
    if not isinstance(data[key], bool):
        raise invalid(f"{key}: must be true or false")
    return data[key]


def _user_list(w: WorksWorld, data: dict, key: str, lo: int, hi: int) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid(f"{key}: must be an array of {lo} to {hi} user IDs")
    if not lo <= len(value) <= hi:
        raise invalid(f"{key}: must have {lo} to {hi} user IDs (got {len(value)})")
    if len(set(value)) != len(value):
        raise invalid(f"{key}: user IDs must be unique")
    for i, ident in enumerate(value):
        if w.find_user(ident) is None:
            raise invalid(f"{key}[{i}]: unknown user {ident!r}")
    return list(value)


def _subset(data: dict, key: str, allowed: tuple[str, ...]) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{key}: must be an array of strings from {', '.join(allowed)}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise invalid(f"{key}: unknown value(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    return list(dict.fromkeys(value))


def _url(w: WorksWorld, data: dict, key: str, *, allow_empty: bool) -> str:
    value = data[key]
    if allow_empty and value == "":
        return ""
    try:
        check_url(value, key, https_only=True, allow_http=w.settings.allow_http_urls)
    except ContentError as exc:
        raise invalid(str(exc)) from None
    return value


def _i18n(data: dict, key: str, inner: str, max_len: int) -> list:
    value = data[key]
    if not isinstance(value, list):
        raise invalid(f"{key}: must be an array")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or item.get("language") not in LANGUAGES:
            raise invalid(f"{key}[{i}].language: must be one of {', '.join(LANGUAGES)}")
        text = item.get(inner)
        if not isinstance(text, str) or not text or len(text) > max_len:
            raise invalid(f"{key}[{i}].{inner}: required, at most {max_len} characters")
    return value


def parse_bot_fields(w: WorksWorld, data: dict, *, full: bool) -> dict:
    """Validate the given bot properties -> {attribute: value}.

    full=True (POST, PUT): required fields must be present and omitted optional
    ones take their defaults; full=False (PATCH): only what is given.
    """
    if full:
        missing = [k for k in REQUIRED_FIELDS if data.get(k) is None]
        if missing:
            raise invalid(f"{missing[0]}: required")
    out: dict = {}
    for key, (attr, default) in BOT_FIELDS.items():
        if key not in data or data[key] is None:
            if full and default is not None:
                out[attr] = default()
            continue
        if key == "botName":
            out[attr] = _string(data, key, 100).replace("\r\n", " ").replace("\n", " ")
        elif key == "description":
            out[attr] = _string(data, key, 100)
        elif key == "photoUrl":
            out[attr] = photos.checked(w, data[key], key)
        elif key == "administrators":
            out[attr] = _user_list(w, data, key, 1, 3)
        elif key == "subadministrators":
            out[attr] = _user_list(w, data, key, 0, 3)
        elif key == "allowDomains":
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise invalid("allowDomains: must be an array of domain IDs (numbers)")
            if len(set(value)) != len(value):
                raise invalid("allowDomains: domain IDs must be unique")
            out[attr] = list(value)
        elif key in ("enableCallback", "enableGroupJoin"):
            out[attr] = _bool(data, key)
        elif key == "callbackUrl":
            out[attr] = _url(w, data, key, allow_empty=True)
        elif key == "callbackEvents":
            out[attr] = _subset(data, key, CALLBACK_MESSAGE_TYPES)
        elif key == "channelEvents":
            out[attr] = _subset(data, key, CHANNEL_EVENTS)
        elif key == "defaultRichmenuId":
            if not isinstance(data[key], str):
                raise invalid("defaultRichmenuId: must be a string")
            out[attr] = data[key]
        elif key == "i18nBotNames":
            out[attr] = _i18n(data, key, "botName", 100)
        elif key == "i18nDescriptions":
            out[attr] = _i18n(data, key, "description", 100)
        elif key == "i18nPhotoUrls":
            out[attr] = photos.checked_i18n(w, _i18n(data, key, "photoUrl", 1000))
    return out


def _check_callback(bot_like: dict) -> None:
    if bot_like.get("enable_callback") and not bot_like.get("callback_url"):
        raise invalid("callbackUrl: required when enableCallback is true")


def _apply(bot: Bot, fields: dict) -> None:
    for attr, value in fields.items():
        setattr(bot, attr, value)
    if "allow_domains" in fields and bot.allow_domains:
        for domain_id in list(bot.domains):
            if domain_id not in bot.allow_domains:
                del bot.domains[domain_id]  # dropped from allowDomains -> domain registration removed
    bot.modified_time = now()


# --------------------------------------------------------------------------- bots


@bp.post("/bots")
def create_bot():
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    data = json_body()
    fields = parse_bot_fields(w, data, full=True)
    _check_callback(fields)
    with w.lock:
        live = sum(1 for b in w.bots.values() if not b.deleted)
        if live >= w.settings.max_bots:
            raise invalid(f"the tenant already has {live} bots (at most {w.settings.max_bots})")
        bot = Bot(bot_id=w.allocate_bot_id(), bot_name=fields["bot_name"], secret=secrets.token_urlsafe(24),
                  origin="api")
        _apply(bot, fields)
        bot.created_time = bot.modified_time
        w.bots[bot.bot_id] = bot
        return created(bot.to_api())


@bp.get("/bots")
def list_bots():
    require_token(*SCOPES_BOT_READ)
    w = works()
    with w.lock:
        bots = [b.to_api_summary() for b in w.bots.values() if not b.deleted]
    return jsonify(page(bots, "bots"))


@bp.get("/bots/<bot_id>")
def get_bot_route(bot_id: str):
    require_token(*SCOPES_BOT_READ)
    with works().lock:
        return jsonify(get_bot(bot_id).to_api())


@bp.put("/bots/<bot_id>")
def put_bot(bot_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    bot = get_bot(bot_id)
    fields = parse_bot_fields(w, json_body(), full=True)
    _check_callback(fields)
    with w.lock:
        _apply(bot, fields)
        return jsonify(bot.to_api())


@bp.patch("/bots/<bot_id>")
def patch_bot(bot_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    bot = get_bot(bot_id)
    fields = parse_bot_fields(w, json_body(), full=False)
    with w.lock:
        merged = {"enable_callback": bot.enable_callback, "callback_url": bot.callback_url, **fields}
        _check_callback(merged)
        _apply(bot, fields)
        return jsonify(bot.to_api())


@bp.delete("/bots/<bot_id>")
def delete_bot(bot_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    bot = get_bot(bot_id)
    # Its group rooms lose it; being deleted, it gets no `leave` callback.
    w.delete_bot(bot)
    return created(status=204)


# --------------------------------------------------------------------------- domains


def _domain_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise not_found(f"domain {raw!r} not found") from None


def _domain_flags(data: dict, current: BotDomain | None, *, full: bool) -> tuple[bool, bool]:
    out = []
    for key, attr in (("visible", "visible"), ("allowToSelectedMember", "allow_to_selected_member")):
        if key in data and data[key] is not None:
            if not isinstance(data[key], bool):
                raise invalid(f"{key}: must be true or false")
            out.append(data[key])
        else:
            out.append(False if (full or current is None) else getattr(current, attr))
    return out[0], out[1]


def _registered(bot: Bot, domain_id: int) -> BotDomain:
    dom = bot.domains.get(domain_id)
    if dom is None:
        raise not_found(f"bot {bot.bot_id} is not registered to domain {domain_id}")
    return dom


@bp.post("/bots/<bot_id>/domains/<domain_id>")
def register_domain(bot_id: str, domain_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    bot = get_bot(bot_id)
    did = _domain_id(domain_id)
    data = json_body() if _has_body() else {}
    with w.lock:
        if bot.allow_domains and did not in bot.allow_domains:
            raise invalid(f"domainId: {did} is not in the bot's allowDomains {bot.allow_domains}")
        existing = bot.domains.get(did)
        visible, selected = _domain_flags(data, existing, full=True)
        dom = existing or BotDomain(did)
        dom.visible, dom.allow_to_selected_member = visible, selected
        bot.domains[did] = dom
        return created(dom.to_api(), status=200 if existing else 201)


@bp.route("/bots/<bot_id>/domains/<domain_id>", methods=["PUT", "PATCH"])
def update_domain(bot_id: str, domain_id: str):
    """PUT replaces both flags (unspecified ones reset); PATCH changes only those given."""
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    bot = get_bot(bot_id)
    did = _domain_id(domain_id)
    data = json_body()
    with w.lock:
        dom = _registered(bot, did)
        dom.visible, dom.allow_to_selected_member = _domain_flags(data, dom, full=request.method == "PUT")
        return jsonify(dom.to_api())


@bp.get("/bots/<bot_id>/domains/<domain_id>")
def get_domain(bot_id: str, domain_id: str):
    require_token(*SCOPES_BOT_READ)
    with works().lock:
        return jsonify(_registered(get_bot(bot_id), _domain_id(domain_id)).to_api())


@bp.delete("/bots/<bot_id>/domains/<domain_id>")
def delete_domain(bot_id: str, domain_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    with works().lock:
        bot = get_bot(bot_id)
        did = _domain_id(domain_id)
        _registered(bot, did)
        del bot.domains[did]
    return created(status=204)


@bp.get("/bots/<bot_id>/domains")
def list_domains(bot_id: str):
    require_token(*SCOPES_BOT_READ)
    with works().lock:
        bot = get_bot(bot_id)
        domains = [d.to_api() for d in bot.domains.values()]
    return jsonify(page(domains, "domains"))


@bp.post("/bots/<bot_id>/domains/<domain_id>/members")
def add_domain_member(bot_id: str, domain_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    data = json_body()
    ident = data.get("userId")
    if not isinstance(ident, str) or not ident:
        raise invalid("userId: required (a user ID or login email)")
    with w.lock:
        bot = get_bot(bot_id)
        dom = _registered(bot, _domain_id(domain_id))
        user = w.find_user(ident)
        if user is None or user.domain_id != dom.domain_id:
            raise not_found(f"user {ident!r} not found in domain {dom.domain_id}")
        if user.user_id not in dom.members:
            dom.members.append(user.user_id)
    return created({"userId": user.user_id})


@bp.get("/bots/<bot_id>/domains/<domain_id>/members")
def list_domain_members(bot_id: str, domain_id: str):
    require_token(*SCOPES_BOT_READ)
    with works().lock:
        dom = _registered(get_bot(bot_id), _domain_id(domain_id))
        members = [{"userId": m} for m in dom.members]
    return jsonify(page(members, "members"))


@bp.delete("/bots/<bot_id>/domains/<domain_id>/members/<user_id>")
def remove_domain_member(bot_id: str, domain_id: str, user_id: str):
    require_token(*SCOPES_BOT_ADMIN)
    w = works()
    with w.lock:
        dom = _registered(get_bot(bot_id), _domain_id(domain_id))
        user = w.find_user(user_id)
        if user is None or user.user_id not in dom.members:
            raise not_found(f"user {user_id!r} is not a selected member of domain {dom.domain_id}")
        dom.members.remove(user.user_id)
    return created(status=204)


def _has_body() -> bool:
    return bool(request.get_data(cache=True))
