"""The LINE WORKS part of the control API under `/_sandbox/`: set the tenant up (apps,
users, bots as Developers Console registers them), act as a user, inspect what
happened (rooms, callbacks, `GET /_sandbox/rate`: the rate limits' counters). JSON in, JSON out; errors are `{"error": "...", ...}` with a 4xx status.
Reset, settings, faults and the request log are shared by every side: sandbox/control.py.

Used by tests, by `cxbot demo` and by the chat page.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, jsonify, request

from ..clock import now
from ..errors import ControlError, control_errors
from ..errors import created as _created
from ..errors import json_body as _body
from . import acts
from .bots import parse_bot_fields
from .errors import ApiError
from .files import file_response
from .model import (
    CALLBACK_MESSAGE_TYPES,
    DEFAULT_CHANNEL_EVENTS,
    DEFAULT_DOMAIN_ID,
    Bot,
    BotDomain,
)
from .state import WorksWorld

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


def _works() -> WorksWorld:
    return current_app.world.works


control_errors(bp)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    # Shared validators raise ApiError; the control API answers in its own shape.
    return ControlError(exc.status, exc.description).response()


# --------------------------------------------------------------------------- the tenant


@bp.post("/apps")
def add_app():
    data = _body()
    for key in ("clientId", "clientSecret", "serviceAccount", "publicKey"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ControlError(400, f"{key} is required (a string)")
    app = _works().add_app(
        client_id=data["clientId"],
        client_secret=data["clientSecret"],
        service_account=data["serviceAccount"],
        public_key=data["publicKey"],
        scopes=data.get("scopes", ["bot"]),
        token_lifetime=data.get("tokenLifetime", 3600),
        refresh_rotation=data.get("refreshRotation", False),
    )
    return _created(app.to_json())


@bp.get("/apps")
def list_apps():
    with _works().lock:
        return jsonify([a.to_json() for a in _works().apps.values()])


def _add_user(data) -> dict:
    if not isinstance(data, dict):
        raise ControlError(400, "each user must be a JSON object")
    user = _works().add_user(
        user_id=data.get("userId"),
        email=data.get("email"),
        last_name=data.get("lastName", ""),
        first_name=data.get("firstName", ""),
        domain_id=data.get("domainId", DEFAULT_DOMAIN_ID),
        is_administrator=data.get("isAdministrator", False),
    )
    return user.to_json()


@bp.post("/users")
def add_users():
    data = _body((dict, list))
    if isinstance(data, list):
        return _created([_add_user(item) for item in data])
    return _created(_add_user(data))


@bp.get("/users")
def list_users():
    with _works().lock:
        return jsonify([u.to_json() for u in _works().users.values()])


# --------------------------------------------------------------------------- bots (Developers Console)


def _console_domains(data) -> dict[int, BotDomain]:
    if not isinstance(data, list):
        raise ControlError(400, "domains must be an array of {domainId, visible, allowToSelectedMember, members}")
    out: dict[int, BotDomain] = {}
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("domainId"), int):
            raise ControlError(400, f"domains[{i}].domainId is required (a number)")
        members = item.get("members", [])
        if not isinstance(members, list):
            raise ControlError(400, f"domains[{i}].members must be an array of user IDs")
        out[item["domainId"]] = BotDomain(
            domain_id=item["domainId"],
            visible=bool(item.get("visible", True)),
            allow_to_selected_member=bool(item.get("allowToSelectedMember", False)),
            members=list(members),
        )
    return out


def _console_fields(w: WorksWorld, data: dict, *, creating: bool) -> dict:
    """Bot properties as Developers Console sets them; laxer than POST /v1.0/bots
    (name, photo, description, administrators are optional here)."""
    known = {k: v for k, v in data.items() if k not in ("botId", "secret", "domains")}
    if creating:
        known.setdefault("enableCallback", bool(known.get("callbackUrl")))
        known.setdefault("callbackEvents", list(CALLBACK_MESSAGE_TYPES))
        known.setdefault("channelEvents", list(DEFAULT_CHANNEL_EVENTS))
    fields = parse_bot_fields(w, known, full=False)
    if creating and not fields.get("bot_name"):
        raise ControlError(400, "botName is required")
    enable = fields.get("enable_callback")
    url = fields.get("callback_url")
    if enable and not url:
        raise ControlError(400, "callbackUrl is required when enableCallback is true")
    return fields


@bp.post("/bots")
def register_bot():
    w = _works()
    data = _body()
    secret = data.get("secret") or secrets.token_urlsafe(24)
    if not isinstance(secret, str):
        raise ControlError(400, "secret must be a string")
    wanted = data.get("botId")
    if wanted is not None:
        try:
            wanted = int(wanted)
        except (TypeError, ValueError):
            raise ControlError(400, "botId must be a number") from None
    domains = _console_domains(data.get("domains", [{"domainId": DEFAULT_DOMAIN_ID, "visible": True}]))
    with w.lock:
        existing = w.bots.get(wanted) if wanted is not None else None
        if existing is not None and not existing.deleted:
            # Registering a known bot again updates it (console edits).
            fields = _console_fields(w, data, creating=False)
            for attr, value in fields.items():
                setattr(existing, attr, value)
            if "secret" in data:
                existing.secret = secret
            if "domains" in data:
                existing.domains = domains
            existing.modified_time = now()
            return _created(existing.to_json(), 200)
        fields = _console_fields(w, data, creating=True)
        bot = Bot(bot_id=w.allocate_bot_id(wanted), bot_name=fields["bot_name"], secret=secret, origin="console")
        for attr, value in fields.items():
            setattr(bot, attr, value)
        bot.domains = domains
        w.bots[bot.bot_id] = bot
        return _created(bot.to_json())


@bp.get("/bots")
def list_bots():
    with _works().lock:
        return jsonify([b.to_json() for b in _works().bots.values()])


@bp.get("/bots/<bot_id>")
def get_bot(bot_id: str):
    w = _works()
    with w.lock:
        return jsonify(acts.get_bot(w, bot_id).to_json())


@bp.patch("/bots/<bot_id>")
def patch_bot(bot_id: str):
    w = _works()
    data = _body()
    with w.lock:
        bot = acts.get_bot(w, bot_id)
        if bot.deleted:
            raise ControlError(409, f"bot {bot.bot_id} was deleted")
        fields = _console_fields(w, data, creating=False)
        merged_enable = fields.get("enable_callback", bot.enable_callback)
        merged_url = fields.get("callback_url", bot.callback_url)
        if merged_enable and not merged_url:
            raise ControlError(400, "callbackUrl is required when enableCallback is true")
        for attr, value in fields.items():
            setattr(bot, attr, value)
        if "secret" in data:
            bot.secret = data["secret"]
        if "domains" in data:
            bot.domains = _console_domains(data["domains"])
        bot.modified_time = now()
        return jsonify(bot.to_json())


# --------------------------------------------------------------------------- tokens, callbacks


@bp.post("/tokens/expire")
def expire_tokens():
    return jsonify({"expired": _works().expire_access_tokens()})


@bp.get("/callbacks")
def list_callbacks():
    """Every callback the sandbox sent (or chose not to send). `wait=<s>` first waits
    for background deliveries (join/joined/leave/begin) to finish."""
    w = _works()
    wait = request.args.get("wait")
    if wait:
        try:
            w.deliverer.wait_idle(min(float(wait), 30.0))
        except ValueError:
            raise ControlError(400, "wait must be a number of seconds") from None
    bot_id = request.args.get("botId")
    kind = request.args.get("type")
    with w.lock:
        entries = [
            dict(e) for e in w.callback_log
            if (not bot_id or str(e["botId"]) == bot_id) and (not kind or e["type"] == kind)
        ]
    return jsonify(entries)


@bp.delete("/callbacks")
def clear_callbacks():
    with _works().lock:
        _works().callback_log.clear()
    return jsonify({"ok": True})


# --------------------------------------------------------------------------- acting as a user


@bp.post("/act/message")
def act_message():
    return jsonify(acts.send_message(_works(), _body()))


@bp.post("/act/open")
def act_open():
    return jsonify(acts.open_room(_works(), _body()))


@bp.post("/act/file")
def act_file():
    return jsonify(acts.send_file(_works(), _body()))


@bp.post("/act/press")
def act_press():
    return jsonify(acts.press(_works(), _body()))


@bp.post("/act/event")
def act_event():
    return jsonify(acts.send_event(_works(), _body()))


@bp.post("/act/leave")
def act_leave():
    return jsonify(acts.leave_room(_works(), _body()))


@bp.post("/act/raw")
def act_raw():
    return jsonify(acts.send_raw(_works(), _body()))


@bp.post("/act/block")
def act_block():
    return jsonify(acts.set_block(_works(), _body()))


# --------------------------------------------------------------------------- rooms and files


@bp.get("/rooms")
def list_rooms():
    w = _works()
    user_id = request.args.get("userId")
    with w.lock:
        if user_id:
            user = acts.get_user(w, user_id)
            rooms = w.rooms_for(user)
        else:
            rooms = list(w.rooms.values())
        return jsonify([w.room_json(r) for r in rooms])


@bp.get("/rooms/dm")
def dm_room():
    w = _works()
    with w.lock:
        user = acts.get_user(w, request.args.get("userId"))
        bot = acts.get_bot(w, request.args.get("botId"))
        if bot.deleted and (bot.bot_id, user.user_id) not in w.dm_rooms:
            raise ControlError(404, f"bot {bot.bot_id} was deleted and never talked with {user.user_id}")
        return jsonify(w.room_json(w.dm_room(bot, user)))


def _room(w: WorksWorld, room_id: str):
    room = w.rooms.get(room_id)
    if room is None:
        raise ControlError(404, f"room {room_id!r} not found")
    return room


@bp.get("/rooms/<room_id>")
def get_room(room_id: str):
    w = _works()
    with w.lock:
        return jsonify(w.room_json(_room(w, room_id)))


@bp.get("/rooms/<room_id>/messages")
def room_messages(room_id: str):
    w = _works()
    after = request.args.get("after")
    try:
        after_seq = int(after) if after else 0
    except ValueError:
        raise ControlError(400, "after must be a messageId") from None
    with w.lock:
        room = _room(w, room_id)
        return jsonify([m.to_json() for m in room.messages if m.seq > after_seq])


@bp.get("/files/<file_id>")
def get_file(file_id: str):
    w = _works()
    with w.lock:
        att = w.attachments.get(file_id)
        if att is None or not att.uploaded:
            raise ControlError(404, f"file {file_id!r} not found")
    return file_response(att)


@bp.get("/state")
def state():
    """A summary of the LINE WORKS side, for a quick look while debugging."""
    w = _works()
    with w.lock:
        return jsonify({
            "settings": w.settings.to_json(),
            "apps": [a.to_json() for a in w.apps.values()],
            "users": [u.to_json() for u in w.users.values()],
            "bots": [b.to_json() for b in w.bots.values()],
            "rooms": [w.room_json(r) for r in w.rooms.values()],
            "faults": [f.to_json() for f in w.world.traffic.armed()],
        })


# --------------------------------------------------------------------------- rate limits


@bp.get("/rate")
def rate():
    """The platform's view of its rate limits (limits.py), per operation: `limit`, `calls`
    accepted, `rejected` (429s), `maxInWindow` (most accepted in one window of the current
    reading), for benchmarks and tests. Emptied by `/_sandbox/reset` or `DELETE`."""
    return jsonify(_works().rate.to_json())


@bp.delete("/rate")
def clear_rate():
    _works().rate.reset()
    return jsonify({"ok": True})
