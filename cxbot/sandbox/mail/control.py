"""The email part of the control API, under `/_sandbox/mail/`. JSON in, JSON out;
errors are `{"error": "...", ...}` with a 4xx status, as in the rest of `/_sandbox`.

Delivery settings and the catcher (cxbot's outbound relay)
    GET/POST /_sandbox/mail/settings         {target: smtp|http, smtpHost, smtpPort, httpUrl,
                                              catcherRequireAuth, catcherUser, catcherPassword}
    GET  /_sandbox/mail/catcher              {running, host, port}
    POST /_sandbox/mail/catcher/start        {host?, port?} -> {running, host, port}
    POST /_sandbox/mail/catcher/stop
    POST /_sandbox/mail/catcher/faults       {stage: mail|rcpt|data (data), code, message?, count? (1)}
    GET/DELETE /_sandbox/mail/catcher/faults

What cxbot sent
    GET  /_sandbox/mail/outbox[?to=&after=seq]          [{seq, from, fromName, to, cc, replyTo, subject, messageId,
                                                          inReplyTo, references, text, attachments, envelope..}]
    GET  /_sandbox/mail/outbox/<seq>                    one, with html and headers
    GET  /_sandbox/mail/outbox/<seq>/raw                the message as received (message/rfc822)
    GET  /_sandbox/mail/outbox/<seq>/attachments/<i>    one attachment's bytes
    DELETE /_sandbox/mail/outbox

Acting as an email customer
    POST /_sandbox/mail/send    {from, fromName?, to, cc?, subject, text, html?, inReplyTo?, references?,
                                 attachments?: [{fileName, contentType, dataBase64}], charset?: utf-8|iso-2022-jp,
                                 forwardTo?, target?: smtp|http, smtpHost?, smtpPort?, httpUrl?}
                                -> {messageId, seq, sent, status, error, refused: {addr: "550 ..."}, target,
                                    deliveredTo, envelopeTo}
    POST /_sandbox/mail/forward-confirmation   {gmail, to, code?, language?: en|ja, target...}
                                -> {messageId, code, link, sent, status, error, ...}
    GET  /_sandbox/mail/sent[?from=]            what customers sent, with the delivery result
    GET  /_sandbox/mail/sent/<seq>/raw
    GET  /_sandbox/mail/mailbox?address=        the conversation as that customer sees it, threaded
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request

from ..clock import now
from ..errors import ControlError, control_errors
from ..errors import created as _created
from ..errors import json_body as _body
from . import customer
from .catcher import catcher_state, start_catcher, stop_catcher
from .state import CatcherFault, MailWorld, SentMail, attachment_bytes, read_mail

bp = Blueprint("sandbox_mail_control", __name__, url_prefix="/_sandbox/mail")

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


def _mail() -> MailWorld:
    return current_app.world.mail


control_errors(bp)


# --------------------------------------------------------------------------- settings, catcher


@bp.get("/settings")
def get_settings():
    with _mail().lock:
        return jsonify(_mail().settings.to_json())


@bp.post("/settings")
def post_settings():
    mail = _mail()
    with mail.lock:
        mail.settings.update(_body())
        return jsonify(mail.settings.to_json())


@bp.get("/catcher")
def get_catcher():
    return jsonify(catcher_state(current_app.world))


@bp.post("/catcher/start")
def post_catcher_start():
    data = _body()
    port = data.get("port", 0)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536:
        raise ControlError(400, "port must be 0-65535 (0: a free port)")
    host = data.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host:
        raise ControlError(400, "host must be a host name or address")
    try:
        start_catcher(current_app.world, host, port)
    except OSError as exc:
        raise ControlError(409, f"cannot listen on {host}:{port}: {exc}") from None
    return jsonify(catcher_state(current_app.world))


@bp.post("/catcher/stop")
def post_catcher_stop():
    stop_catcher(current_app.world)
    return jsonify(catcher_state(current_app.world))


@bp.get("/catcher/faults")
def get_faults():
    with _mail().lock:
        return jsonify([f.to_json() for f in _mail().faults if f.count > 0])


@bp.post("/catcher/faults")
def post_fault():
    data = _body()
    stage = data.get("stage", "data")
    code = data.get("code")
    count = data.get("count", 1)
    if stage not in ("mail", "rcpt", "data"):
        raise ControlError(400, "stage must be mail, rcpt or data")
    if not isinstance(code, int) or isinstance(code, bool) or not 400 <= code < 600:
        raise ControlError(400, "code must be an SMTP error code, 400-599")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ControlError(400, "count must be a positive integer")
    default = "4.3.0 Temporary failure (injected)" if code < 500 else "5.7.1 Rejected (injected)"
    message = str(data.get("message") or default)
    fault = CatcherFault(stage=stage, code=code, message=message.replace("\r", " ").replace("\n", " "), count=count)
    with _mail().lock:
        _mail().faults.append(fault)
    return _created(fault.to_json())


@bp.delete("/catcher/faults")
def delete_faults():
    with _mail().lock:
        _mail().faults.clear()
    return jsonify({"ok": True})


# --------------------------------------------------------------------------- outbox


def _after() -> int:
    value = request.args.get("after", "0")
    if not value.isdigit():
        raise ControlError(400, "after must be a sequence number")
    return int(value)


@bp.get("/outbox")
def get_outbox():
    to = (request.args.get("to") or "").strip().lower()
    after = _after()
    with _mail().lock:
        items = [m.to_json() for m in _mail().outbox if m.seq > after and (not to or m.addressed_to(to))]
    return jsonify(items)


def _caught(seq: int):
    with _mail().lock:
        for m in _mail().outbox:
            if m.seq == seq:
                return m
    raise ControlError(404, f"no caught mail {seq}")


@bp.get("/outbox/<int:seq>")
def get_outbox_one(seq: int):
    m = _caught(seq)
    with _mail().lock:
        return jsonify(m.to_json(full=True))


@bp.get("/outbox/<int:seq>/raw")
def get_outbox_raw(seq: int):
    return Response(_caught(seq).raw, mimetype="message/rfc822")


@bp.get("/outbox/<int:seq>/attachments/<int:index>")
def get_outbox_attachment(seq: int, index: int):
    try:
        name, ctype, data = attachment_bytes(_caught(seq).raw, index)
    except IndexError:
        raise ControlError(404, f"mail {seq} has no attachment {index}") from None
    resp = Response(data, mimetype=ctype)
    resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return resp


@bp.delete("/outbox")
def delete_outbox():
    with _mail().lock:
        _mail().outbox.clear()
    return jsonify({"ok": True})


# --------------------------------------------------------------------------- acting as a customer


def _addresses(value, name: str, required: bool = True) -> list[str]:
    if value is None or value == "" or value == []:
        if required:
            raise ControlError(400, f"{name}: an email address is required", code="invalid_address", field=name)
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
        raise ControlError(400, f"{name}: an address or a list of addresses", code="invalid_address", field=name)
    out = []
    for item in items:
        for a in item.replace(";", ",").split(","):
            a = a.strip()
            if not a:
                continue
            if "@" not in a or " " in a or a.startswith("@") or a.endswith("@"):
                raise ControlError(400, f"{name}: {a!r} is not an email address", code="invalid_address", field=name)
            out.append(a)
    if required and not out:
        raise ControlError(400, f"{name}: an email address is required", code="invalid_address", field=name)
    return out


def _text_field(data: dict, name: str, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ControlError(400, f"{name} must be a string")
    return value


def _attachments(data: dict) -> list[tuple[str, str, bytes]]:
    items = data.get("attachments") or []
    if not isinstance(items, list):
        raise ControlError(400, "attachments must be a list of {fileName, contentType, dataBase64}")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("fileName"), str) or not item["fileName"].strip():
            raise ControlError(400, f"attachments[{i}].fileName is required")
        try:
            payload = base64.b64decode(item.get("dataBase64") or "", validate=True)
        except (binascii.Error, ValueError):
            raise ControlError(400, f"attachments[{i}].dataBase64 is not valid base64") from None
        if len(payload) > MAX_ATTACHMENT_BYTES:
            raise ControlError(400, f"attachments[{i}] is over {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
                               code="attachment_too_large")
        ctype = item.get("contentType") or "application/octet-stream"
        if not isinstance(ctype, str) or "/" not in ctype:
            raise ControlError(400, f"attachments[{i}].contentType must look like type/subtype")
        out.append((item["fileName"].strip(), ctype.strip().lower(), payload))
    return out


def _deliver(data: dict, raw: bytes, mail_from: str, rcpts: list[str]) -> tuple:
    """(target, where, sent, status, error, refused), using the request's target or the settings."""
    mail = _mail()
    with mail.lock:
        s = mail.settings
        target = data.get("target") or s.target
        host = data.get("smtpHost") or s.smtp_host
        port = data.get("smtpPort") or s.smtp_port
        url = data.get("httpUrl") or s.http_url
    if target == "smtp":
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ControlError(400, "smtpPort must be 1-65535", code="invalid_setting")
        if not isinstance(host, str) or not host:
            raise ControlError(400, "smtpHost is required", code="invalid_setting")
        return (target, f"{host}:{port}", *customer.deliver_smtp(raw, mail_from, rcpts, host, port))
    if target == "http":
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ControlError(400, "httpUrl must be cxbot's http(s) URL, e.g. http://127.0.0.1:8000/webhooks/mail/<token>",
                               code="invalid_setting")
        return (target, url, *customer.deliver_http(raw, url))
    raise ControlError(400, 'target must be "smtp" or "http"')


def _record(kind: str, raw: bytes, mail_from: str, rcpts: list[str], delivery, extra: dict | None = None) -> SentMail:
    target, where, sent, status, error, refused = delivery
    mail = _mail()
    with mail.lock:
        item = SentMail(seq=mail.next_seq(), sent_at=now(), kind=kind, raw=raw, envelope_from=mail_from,
                        envelope_to=rcpts, target=target, delivered_to=where, sent=sent, status=status, error=error,
                        parsed=read_mail(raw), extra={**(extra or {}), "refused": refused})
        mail.sent.append(item)
    return item


@bp.post("/send")
def post_send():
    data = _body()
    known = {"from", "fromName", "to", "cc", "subject", "text", "html", "inReplyTo", "references", "attachments",
             "charset", "forwardTo", "target", "smtpHost", "smtpPort", "httpUrl"}
    unknown = set(data) - known
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}", known=sorted(known))
    from_addr = _addresses(data.get("from"), "from")
    if len(from_addr) != 1:
        raise ControlError(400, "from: exactly one address")
    to = _addresses(data.get("to"), "to")
    cc = _addresses(data.get("cc"), "cc", required=False)
    forward_to = _addresses(data.get("forwardTo"), "forwardTo", required=False)
    refs = data.get("references")
    if refs is not None and not (isinstance(refs, str) or
                                 isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
        raise ControlError(400, "references must be a string or a list of Message-IDs")
    html = data.get("html")
    if html is not None and not isinstance(html, str):
        raise ControlError(400, "html must be a string")
    try:
        raw, mid = customer.build_mail(
            from_addr=from_addr[0], from_name=_text_field(data, "fromName"), to=to, cc=cc,
            subject=_text_field(data, "subject"), text=_text_field(data, "text"), html=html or None,
            in_reply_to=_text_field(data, "inReplyTo") or None, references=refs,
            attachments=_attachments(data), charset=_text_field(data, "charset", "utf-8"))
    except customer.MailInputError as exc:
        raise ControlError(400, str(exc)) from None
    rcpts = to + cc
    if forward_to:
        # Gmail's auto-forwarding of the mailbox `to[0]`: same mail, new envelope, forwarding headers.
        raw = customer.prepend_headers(raw, customer.gmail_forwarding_headers(to[0], forward_to[0]))
        rcpts = forward_to[:1]
    delivery = _deliver(data, raw, from_addr[0], rcpts)
    item = _record("mail", raw, from_addr[0], rcpts, delivery)
    target, where, sent, status, error, refused = delivery
    return jsonify({"messageId": mid, "seq": item.seq, "sent": sent, "status": status, "error": error,
                    "refused": refused, "target": target, "deliveredTo": where, "envelopeTo": rcpts})


@bp.post("/forward-confirmation")
def post_forward_confirmation():
    data = _body()
    known = {"gmail", "to", "code", "language", "target", "smtpHost", "smtpPort", "httpUrl"}
    unknown = set(data) - known
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}", known=sorted(known))
    gmail = _addresses(data.get("gmail"), "gmail")
    to = _addresses(data.get("to"), "to")
    if len(gmail) != 1 or len(to) != 1:
        raise ControlError(400, "gmail and to: one address each")
    code = data.get("code")
    if code is not None and not (isinstance(code, str) and code.isdigit() and 6 <= len(code) <= 12):
        raise ControlError(400, "code must be 6-12 digits")
    language = data.get("language") or "en"
    if language not in ("en", "ja"):
        raise ControlError(400, 'language must be "en" or "ja"')
    raw, mid, code, link = customer.gmail_confirmation(gmail[0], to[0], code, language)
    delivery = _deliver(data, raw, customer.GMAIL_SENDER[1], to)
    item = _record("gmail-confirmation", raw, customer.GMAIL_SENDER[1], to, delivery,
                   {"gmail": gmail[0], "code": code, "link": link})
    target, where, sent, status, error, refused = delivery
    return jsonify({"messageId": mid, "seq": item.seq, "code": code, "link": link, "gmail": gmail[0],
                    "to": to[0], "sent": sent, "status": status, "error": error, "refused": refused,
                    "target": target, "deliveredTo": where})


@bp.get("/sent")
def get_sent():
    sender = (request.args.get("from") or "").strip().lower()
    after = _after()
    with _mail().lock:
        items = [s.to_json() for s in _mail().sent
                 if s.seq > after and (not sender or s.parsed["from"] == sender)]
    return jsonify(items)


@bp.get("/sent/<int:seq>/raw")
def get_sent_raw(seq: int):
    with _mail().lock:
        for s in _mail().sent:
            if s.seq == seq:
                return Response(s.raw, mimetype="message/rfc822")
    raise ControlError(404, f"no sent mail {seq}")


@bp.get("/mailbox")
def get_mailbox():
    address = (request.args.get("address") or "").strip()
    if "@" not in address:
        raise ControlError(400, "address: an email address is required")
    return jsonify(_mail().mailbox(address))


@bp.get("/state")
def get_state():
    """For the page: settings, catcher, known addresses."""
    mail = _mail()
    with mail.lock:
        customers = sorted({s.parsed["from"] for s in mail.sent if s.kind == "mail"} |
                           {a for c in mail.outbox for a in c.parsed["to"]})
        counters = sorted({a for s in mail.sent for a in s.parsed["to"] + s.envelope_to} |
                          {c.parsed["from"] for c in mail.outbox if c.parsed["from"]})
        settings = mail.settings.to_json()
    return jsonify({"settings": settings, "catcher": catcher_state(current_app.world),
                    "customers": customers, "counterAddresses": counters})
