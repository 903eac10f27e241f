"""The sandbox's email side over real HTTP and SMTP: customers sending realistic mail
to a real `SmtpReceiver` (or to an HTTP endpoint), Gmail's forwarding confirmation,
the catcher as cxbot's outbound relay, and the customer's threaded mailbox."""

from __future__ import annotations

import base64
import threading

import httpx
import pytest
from flask import Flask, request

from cxbot.base.serving import serve_in_thread
from cxbot.mail import MailSendError, SmtpReceiver, parse, parse_smtp_url, reply, send
from cxbot.sandbox import create_app

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

DOMAIN = "cx.example"
COUNTER = "support@cx.example"
CUSTOMER = "taro@example.co.jp"


DEFAULT_SETTINGS = {"target": "smtp", "smtpHost": "127.0.0.1", "smtpPort": 2525, "httpUrl": "",
                    "catcherRequireAuth": False, "catcherUser": None, "catcherPassword": None}


@pytest.fixture(scope="module")
def shared_sandbox():
    """One sandbox server for the module (stopping a server costs 0.5 s); each test resets it."""
    srv = serve_in_thread(create_app(), name="sandbox")
    yield srv
    srv.stop()


@pytest.fixture
def sandbox_http(shared_sandbox):
    with httpx.Client(base_url=shared_sandbox.url, timeout=10) as http:
        assert http.post("/_sandbox/reset").status_code == 200
        assert http.post("/_sandbox/mail/settings", json=DEFAULT_SETTINGS).status_code == 200
        yield http
        http.post("/_sandbox/mail/catcher/stop")


class Inbox:
    def __init__(self):
        self.mails: list[tuple[bytes, list[str]]] = []
        self.lock = threading.Lock()

    def __call__(self, raw: bytes, rcpts: list[str]) -> None:
        with self.lock:
            self.mails.append((raw, rcpts))

    def last(self):
        raw, rcpts = self.mails[-1]
        return parse(raw), rcpts


@pytest.fixture
def cx(sandbox_http: httpx.Client):
    """A stand-in for cxbot's mail side: a real receiver, and the sandbox catcher as relay."""
    inbox = Inbox()
    rx = SmtpReceiver("127.0.0.1:0", {DOMAIN}, inbox).start()
    catcher = sandbox_http.post("/_sandbox/mail/catcher/start", json={}).json()
    assert catcher["running"] and catcher["port"]
    settings = sandbox_http.post("/_sandbox/mail/settings", json={"smtpHost": "127.0.0.1", "smtpPort": rx.port}).json()
    assert settings["target"] == "smtp" and settings["smtpPort"] == rx.port
    yield inbox, parse_smtp_url(f"smtp://127.0.0.1:{catcher['port']}")
    sandbox_http.post("/_sandbox/mail/catcher/stop")
    rx.stop()


def test_customer_mail_reaches_the_receiver_and_the_answer_threads(sandbox_http, cx):
    inbox, relay = cx
    r = sandbox_http.post("/_sandbox/mail/send", json={
        "from": CUSTOMER, "fromName": "山田 太郎", "to": COUNTER, "subject": "見積書について",
        "text": "見積書をお願いします。", "html": "<p>見積書を<b>お願いします</b>。</p>",
        "attachments": [{"fileName": "仕様書.pdf", "contentType": "application/pdf",
                         "dataBase64": base64.b64encode(b"%PDF spec").decode()}],
    })
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["sent"] is True and sent["status"] == 250 and sent["error"] is None
    mail, rcpts = inbox.last()
    assert rcpts == [COUNTER]
    assert f"<{mail.message_id}>" == sent["messageId"]
    assert mail.from_addr == CUSTOMER and mail.from_name == "山田 太郎"
    assert mail.subject == "見積書について"
    assert mail.text == "見積書をお願いします。"
    assert "<b>お願いします</b>" in mail.html
    assert mail.attachments == [("仕様書.pdf", "application/pdf", b"%PDF spec")]
    assert mail.date is not None and mail.auto_kind is None

    # cxbot answers through its relay (the catcher) ...
    answer = reply(from_addr=COUNTER, from_name="サポート窓口", to_addr=mail.sender, subject=mail.subject,
                   text="お見積りを添付します。", in_reply_to=mail.message_id, references=mail.references,
                   message_id_domain=DOMAIN, reply_token="t0k",
                   attachments=[("見積書.pdf", "application/pdf", b"%PDF quote")])
    send(relay, answer)
    outbox = sandbox_http.get("/_sandbox/mail/outbox", params={"to": CUSTOMER}).json()
    assert [m["messageId"] for m in outbox] == [answer["Message-ID"]]
    assert outbox[0]["inReplyTo"] == sent["messageId"]
    assert outbox[0]["attachments"][0]["fileName"] == "見積書.pdf"
    assert sandbox_http.get("/_sandbox/mail/outbox", params={"to": "nobody@example.com"}).json() == []
    seq = outbox[0]["seq"]
    assert sandbox_http.get(f"/_sandbox/mail/outbox/{seq}/attachments/0").content == b"%PDF quote"
    assert sandbox_http.get(f"/_sandbox/mail/outbox/{seq}/raw").content.startswith(b"From: ")

    # ... and the customer answers that, in the same thread.
    r2 = sandbox_http.post("/_sandbox/mail/send", json={
        "from": CUSTOMER, "to": "reply+t0k@cx.example", "subject": outbox[0]["subject"],
        "text": "ありがとうございます。\n\n> お見積りを添付します。", "inReplyTo": outbox[0]["messageId"],
        "references": outbox[0]["references"] + [outbox[0]["messageId"]]})
    mail2, _ = inbox.last()
    assert mail2.reply_token(DOMAIN) == "t0k"
    assert mail2.in_reply_to == answer["Message-ID"].strip("<>")
    assert mail2.new_text == "ありがとうございます。"

    box = sandbox_http.get("/_sandbox/mail/mailbox", params={"address": CUSTOMER}).json()
    assert len(box["threads"]) == 1
    thread = box["threads"][0]
    assert thread["subject"] == "見積書について" and thread["count"] == 3
    assert [m["direction"] for m in thread["messages"]] == ["sent", "received", "sent"]
    assert thread["messages"][2]["messageId"] == r2.json()["messageId"]

    # A new, unrelated mail starts a second thread (newest first).
    sandbox_http.post("/_sandbox/mail/send", json={"from": CUSTOMER, "to": COUNTER, "subject": "別件",
                                                   "text": "別件です。"})
    box = sandbox_http.get("/_sandbox/mail/mailbox", params={"address": CUSTOMER}).json()
    assert [t["subject"] for t in box["threads"]] == ["別件", "見積書について"]


def test_iso_2022_jp_customer_mail(sandbox_http, cx):
    inbox, _ = cx
    r = sandbox_http.post("/_sandbox/mail/send", json={
        "from": "suzuki@example.ne.jp", "fromName": "鈴木 一郎", "to": [COUNTER], "cc": "boss@example.ne.jp",
        "subject": "請求書の再発行について", "text": "請求書を再発行してください。\nよろしくお願いします。",
        "charset": "iso-2022-jp",
        "attachments": [{"fileName": "請求書.pdf", "contentType": "application/pdf", "dataBase64": "JVBERg=="}]})
    assert r.json()["sent"] is True, r.text
    # The Cc is not for cxbot: its receiver refuses it, the mail still arrives for the counter.
    assert list(r.json()["refused"]) == ["boss@example.ne.jp"] and r.json()["refused"]["boss@example.ne.jp"][:3] == "550"
    raw, rcpts = inbox.mails[-1]
    assert b"ISO-2022-JP" in raw.upper() and b"\x1b$B" in raw
    assert rcpts == [COUNTER]
    mail = parse(raw)
    assert mail.subject == "請求書の再発行について" and mail.from_name == "鈴木 一郎"
    assert mail.text == "請求書を再発行してください。\nよろしくお願いします。"
    assert mail.cc == ["boss@example.ne.jp"]
    assert mail.attachments == [("請求書.pdf", "application/pdf", b"%PDF")]
    bad = sandbox_http.post("/_sandbox/mail/send", json={"from": CUSTOMER, "to": COUNTER, "subject": "絵文字",
                                                         "text": "😀", "charset": "iso-2022-jp"})
    assert bad.status_code == 400 and "ISO-2022-JP" in bad.json()["error"]


def test_gmail_forwarded_mail(sandbox_http, cx):
    inbox, _ = cx
    r = sandbox_http.post("/_sandbox/mail/send", json={
        "from": CUSTOMER, "to": "info@company.example", "forwardTo": COUNTER, "subject": "質問",
        "text": "営業時間を教えてください。"})
    assert r.json()["envelopeTo"] == [COUNTER]
    mail, rcpts = inbox.last()
    assert rcpts == [COUNTER]
    assert mail.to == ["info@company.example"]
    assert mail.x_forwarded_to == [COUNTER]
    assert mail.x_forwarded_for == ["info@company.example", COUNTER]
    assert COUNTER in mail.recipients()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_gmail_forwarding_confirmation(sandbox_http, cx, language):
    inbox, _ = cx
    r = sandbox_http.post("/_sandbox/mail/forward-confirmation", json={
        "gmail": "company.support@gmail.com", "to": COUNTER, "language": language})
    body = r.json()
    assert body["sent"] is True and body["code"].isdigit() and body["link"].startswith("https://mail-settings.")
    mail, rcpts = inbox.last()
    assert rcpts == [COUNTER]
    c = mail.gmail_forwarding_confirmation
    assert c is not None
    assert (c.code, c.link, c.requester) == (body["code"], body["link"], "company.support@gmail.com")
    fixed = sandbox_http.post("/_sandbox/mail/forward-confirmation", json={
        "gmail": "a@gmail.com", "to": COUNTER, "code": "123456789"}).json()
    assert inbox.last()[0].gmail_forwarding_confirmation.code == "123456789" == fixed["code"]


def test_http_target_posts_raw_mime(sandbox_http):
    hits = []
    app = Flask("mail-webhook")

    @app.post("/webhooks/mail/<token>")
    def hook(token):
        hits.append((token, request.content_type, request.get_data()))
        return ("", 410) if token == "gone" else ("", 200)

    srv = serve_in_thread(app, name="mail-webhook")
    try:
        r = sandbox_http.post("/_sandbox/mail/send", json={
            "from": CUSTOMER, "to": COUNTER, "subject": "http", "text": "via http", "target": "http",
            "httpUrl": f"{srv.url}/webhooks/mail/abc"}).json()
        assert r["sent"] is True and r["status"] == 200 and r["target"] == "http"
        token, ctype, raw = hits[0]
        assert token == "abc" and ctype == "message/rfc822"
        assert parse(raw).text == "via http" and f"<{parse(raw).message_id}>" == r["messageId"]
        gone = sandbox_http.post("/_sandbox/mail/send", json={
            "from": CUSTOMER, "to": COUNTER, "subject": "http", "text": "x", "target": "http",
            "httpUrl": f"{srv.url}/webhooks/mail/gone"}).json()
        assert gone["sent"] is False and gone["status"] == 410
    finally:
        srv.stop()
    sent = sandbox_http.get("/_sandbox/mail/sent", params={"from": CUSTOMER}).json()
    assert [(s["sent"], s["status"]) for s in sent] == [(True, 200), (False, 410)]


def test_refusals_are_reported_not_raised(sandbox_http, cx):
    r = sandbox_http.post("/_sandbox/mail/send", json={"from": CUSTOMER, "to": "someone@elsewhere.example",
                                                       "subject": "x", "text": "x"}).json()
    assert r["sent"] is False and r["status"] == 550 and "Relaying denied" in r["error"]
    unreachable = sandbox_http.post("/_sandbox/mail/send", json={
        "from": CUSTOMER, "to": COUNTER, "text": "x", "smtpPort": 1}).json()
    assert unreachable["sent"] is False and unreachable["status"] == 0 and "cannot reach" in unreachable["error"]


@pytest.mark.parametrize("body, message", [
    ({"to": COUNTER, "text": "x"}, "from"),
    ({"from": "not-an-address", "to": COUNTER, "text": "x"}, "from"),
    ({"from": CUSTOMER, "text": "x"}, "to"),
    ({"from": CUSTOMER, "to": COUNTER}, "text"),
    ({"from": CUSTOMER, "to": COUNTER, "text": "x", "charset": "euc-jp"}, "charset"),
    ({"from": CUSTOMER, "to": COUNTER, "text": "x", "target": "pigeon"}, "target"),
    ({"from": CUSTOMER, "to": COUNTER, "text": "x", "target": "http", "httpUrl": "ftp://x"}, "httpUrl"),
    ({"from": CUSTOMER, "to": COUNTER, "text": "x", "attachments": [{"fileName": "a", "dataBase64": "%%"}]},
     "base64"),
    ({"from": CUSTOMER, "to": COUNTER, "text": "x", "bogus": 1}, "unknown field"),
])
def test_send_validation(sandbox_http, body, message):
    r = sandbox_http.post("/_sandbox/mail/send", json=body)
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_catcher_faults_auth_and_reset(sandbox_http, cx):
    _, relay = cx
    msg = reply(from_addr=COUNTER, from_name="", to_addr=CUSTOMER, subject="s", text="t", in_reply_to=None,
                references=None, message_id_domain=DOMAIN)
    assert sandbox_http.post("/_sandbox/mail/catcher/faults", json={"code": 451}).status_code == 201
    assert sandbox_http.get("/_sandbox/mail/catcher/faults").json()[0]["stage"] == "data"
    with pytest.raises(MailSendError) as err:
        send(relay, msg)
    assert err.value.retryable
    send(relay, msg)
    assert sandbox_http.post("/_sandbox/mail/catcher/faults", json={"code": 200}).status_code == 400
    settings = sandbox_http.post("/_sandbox/mail/settings", json={
        "catcherRequireAuth": True, "catcherUser": "cx", "catcherPassword": "pw"}).json()
    assert settings["catcherPassword"] == "***"
    send(parse_smtp_url(f"smtp://cx:pw@127.0.0.1:{relay.port}"), msg)
    assert sandbox_http.get("/_sandbox/mail/outbox").json()[-1]["authUser"] == "cx"
    assert sandbox_http.post("/_sandbox/mail/settings", json={"target": "fax"}).status_code == 400

    port = relay.port
    assert sandbox_http.post("/_sandbox/reset").status_code == 200
    assert sandbox_http.get("/_sandbox/mail/outbox").json() == []
    state = sandbox_http.get("/_sandbox/mail/catcher").json()
    assert state == {"running": True, "host": "127.0.0.1", "port": port}
    assert sandbox_http.post("/_sandbox/mail/catcher/start", json={"port": port}).json()["port"] == port
    assert sandbox_http.post("/_sandbox/mail/catcher/stop").json()["running"] is False


def test_mailbox_needs_an_address(sandbox_http):
    assert sandbox_http.get("/_sandbox/mail/mailbox").status_code == 400
    box = sandbox_http.get("/_sandbox/mail/mailbox", params={"address": "x@example.com"}).json()
    assert box == {"address": "x@example.com", "threads": [], "messages": []}
    state = sandbox_http.get("/_sandbox/mail/state").json()
    assert state["catcher"]["running"] is False and state["settings"]["target"] == "smtp"


def test_chat_page_has_the_mail_view(sandbox_http):
    page = sandbox_http.get("/").text
    assert 'data-view="mail-view"' in page
    assert 'id="mail-view"' in page
    assert "メール" in page
