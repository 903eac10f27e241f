"""Outbound SMTP (`cxbot.mail.smtp`) against the sandbox's real SMTP catcher, and the
built-in receiver (`cxbot.mail.receiver`) on a real socket, driven with smtplib."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import threading
import time

import pytest

from cxbot.mail import (
    MailSendError,
    SmtpReceiver,
    SmtpUrlError,
    is_own_message_id,
    parse,
    parse_smtp_url,
    reply,
    send,
)
from cxbot.mail.receiver import parse_listen
from cxbot.sandbox import World
from cxbot.sandbox.mail import start_catcher, stop_catcher
from cxbot.sandbox.mail.state import CatcherFault

# aiosmtpd's own AUTH code sets the deprecated Session.login_data.
pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

DOMAIN = "cx.example"


@pytest.fixture
def catcher():
    world = World()
    mail = world.mail
    port = start_catcher(world)
    yield mail, port
    stop_catcher(world)


class Inbox:
    def __init__(self):
        self.mails: list[tuple[bytes, list[str]]] = []
        self.threads: list[str] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, raw: bytes, rcpts: list[str]) -> None:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        with self.lock:
            self.threads.append(f"{threading.current_thread().name} loop={on_loop}")
        if self.fail:
            raise RuntimeError("database is down")
        with self.lock:
            self.mails.append((raw, rcpts))


@pytest.fixture
def receiver():
    inbox = Inbox()
    rx = SmtpReceiver("127.0.0.1:0", {DOMAIN, "Other-Cx.example."}, inbox, max_bytes=64 * 1024)
    rx.start()
    yield rx, inbox
    rx.stop()


def answer(**kw):
    args = dict(from_addr="support@cx.example", from_name="サポート窓口", to_addr="taro@example.co.jp",
                subject="見積書について", text="お見積りをお送りします。", in_reply_to="<CAF=1@mail.gmail.com>",
                references=[], message_id_domain=DOMAIN, reply_token="tok1",
                attachments=[("見積書.pdf", "application/pdf", b"%PDF-1.4 x")])
    args.update(kw)
    return reply(**args)


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("url, expected", [
    ("smtp://127.0.0.1:2525", dict(host="127.0.0.1", port=2525, username=None, password=None, ssl=False,
                                   starttls=False)),
    ("smtp://mail.example.com", dict(host="mail.example.com", port=25, ssl=False, starttls=False)),
    ("smtp://user:pass@smtp.example.com:587?starttls=1",
     dict(host="smtp.example.com", port=587, username="user", password="pass", starttls=True)),
    ("smtp://u%40example.com:p%40ss%3Aw%2Frd@smtp.example.com?starttls=true",
     dict(username="u@example.com", password="p@ss:w/rd", port=587, starttls=True)),
    ("smtps://apikey:SG.xyz@smtp.sendgrid.net", dict(port=465, ssl=True, starttls=False, username="apikey")),
    ("SMTPS://u:p@[::1]:4650", dict(host="::1", port=4650, ssl=True)),
    ("smtp://relay:25?starttls=auto&timeout=5&helo=cx.example", dict(starttls="auto", timeout=5.0, helo="cx.example")),
    ("smtp://relay:2525/?starttls=0", dict(starttls=False)),
])
def test_parse_smtp_url(url, expected):
    target = parse_smtp_url(url)
    for key, value in expected.items():
        assert getattr(target, key) == value, key


@pytest.mark.parametrize("url, message", [
    ("", "empty"),
    ("http://user:secret@host:25", "smtp:// or smtps://"),
    ("host:25", "smtp:// or smtps://"),
    ("smtp://", "no host"),
    ("smtp://user:secret@host:99999", "port"),
    ("smtp://user:secret@host:abc", "port"),
    ("smtp://host:25?starttls=maybe", "starttls must be"),
    ("smtp://host:25?ssl=1", "unknown SMTP URL option"),
    ("smtps://host:465?starttls=1", "TLS already"),
    ("smtp://:secret@host:25", "no user name"),
    ("smtp://host:25/path", "path"),
    ("smtp://host:25?timeout=0", "timeout"),
])
def test_bad_smtp_urls(url, message):
    with pytest.raises(SmtpUrlError) as err:
        parse_smtp_url(url)
    assert message in str(err.value)
    assert "secret" not in str(err.value)
    assert isinstance(err.value, ValueError)


def test_password_is_never_shown():
    target = parse_smtp_url("smtp://user:hunter2@smtp.example.com:587?starttls=1")
    assert "hunter2" not in repr(target)
    assert "hunter2" not in str(target)
    assert str(target) == "smtp://user:***@smtp.example.com:587?starttls=1"


# --------------------------------------------------------------------------- sending through the catcher


def test_send_through_the_catcher(catcher):
    mail, port = catcher
    msg = answer()
    assert send(parse_smtp_url(f"smtp://127.0.0.1:{port}"), msg) == {}
    (caught,) = mail.outbox
    assert caught.envelope_from == "support@cx.example"
    assert caught.envelope_to == ["taro@example.co.jp"]
    assert caught.auth_user is None
    view = caught.to_json()
    assert view["subject"] == "Re: 見積書について"
    assert view["messageId"] == msg["Message-ID"]
    assert view["inReplyTo"] == "<CAF=1@mail.gmail.com>"
    assert view["replyTo"] == ["reply+tok1@cx.example"]
    assert view["text"].strip() == "お見積りをお送りします。"
    assert view["attachments"] == [{"fileName": "見積書.pdf", "contentType": "application/pdf", "size": 10}]
    back = parse(caught.raw)
    assert is_own_message_id(back.message_id, DOMAIN)
    assert back.attachments[0].data == b"%PDF-1.4 x"


def test_login_with_url_decoded_credentials(catcher, caplog):
    mail, port = catcher
    mail.settings.update({"catcherRequireAuth": True, "catcherUser": "u@cx.example", "catcherPassword": "p@ss:w/rd"})
    caplog.set_level(logging.DEBUG)
    send(parse_smtp_url(f"smtp://u%40cx.example:p%40ss%3Aw%2Frd@127.0.0.1:{port}"), answer())
    assert mail.outbox[-1].auth_user == "u@cx.example"
    with pytest.raises(MailSendError) as err:
        send(parse_smtp_url(f"smtp://u%40cx.example:wrong-secret@127.0.0.1:{port}"), answer())
    assert err.value.retryable is False and err.value.code == 535
    assert "wrong-secret" not in str(err.value) and "wrong-secret" not in repr(err.value)
    assert "p@ss:w/rd" not in caplog.text and "wrong-secret" not in caplog.text
    with pytest.raises(MailSendError) as err:  # no credentials where the relay wants them
        send(parse_smtp_url(f"smtp://127.0.0.1:{port}"), answer())
    assert err.value.retryable is False and err.value.code == 530
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("stage, code, retryable", [
    ("data", 451, True), ("data", 554, False), ("rcpt", 450, True), ("rcpt", 550, False), ("mail", 421, True),
    ("mail", 553, False),
])
def test_smtp_errors_are_retryable_only_when_temporary(catcher, stage, code, retryable):
    mail, port = catcher
    mail.faults.append(CatcherFault(stage=stage, code=code, message="injected", count=1))
    with pytest.raises(MailSendError) as err:
        send(parse_smtp_url(f"smtp://127.0.0.1:{port}"), answer())
    assert err.value.retryable is retryable
    assert err.value.code == code
    assert str(code) in err.value.detail
    send(parse_smtp_url(f"smtp://127.0.0.1:{port}"), answer())  # the fault was used up
    assert len(mail.outbox) == 1


def test_connection_problems_are_retryable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    with pytest.raises(MailSendError) as err:
        send(parse_smtp_url(f"smtp://127.0.0.1:{free_port}"), answer(), timeout=2)
    assert err.value.retryable is True
    assert "cannot reach" in err.value.detail


def test_starttls_required_but_not_offered(catcher):
    mail, port = catcher
    with pytest.raises(MailSendError) as err:
        send(parse_smtp_url(f"smtp://127.0.0.1:{port}?starttls=1"), answer())
    assert err.value.retryable is False and "STARTTLS" in err.value.detail
    send(parse_smtp_url(f"smtp://127.0.0.1:{port}?starttls=auto"), answer())  # plain when not offered
    assert len(mail.outbox) == 1


def test_smtps_against_a_plain_server_is_retryable_tls_error(catcher):
    _, port = catcher
    with pytest.raises(MailSendError) as err:
        send(parse_smtp_url(f"smtps://127.0.0.1:{port}"), answer(), timeout=3)
    assert err.value.retryable is True


# --------------------------------------------------------------------------- the receiver


def test_listen_addresses():
    assert parse_listen("127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert parse_listen("[::1]:25") == ("::1", 25)
    assert parse_listen(":2525") == ("", 2525)
    assert parse_listen("2525") == ("", 2525)
    for bad in ("", "localhost", "host:port", "[::1]", "h:70000"):
        with pytest.raises(ValueError):
            parse_listen(bad)
    with pytest.raises(ValueError):
        SmtpReceiver("127.0.0.1:0", set(), lambda raw, rcpts: None)


def test_receiver_on_port_0_accepts_mail_for_its_domains(receiver):
    rx, inbox = receiver
    assert rx.port != 0
    raw = ("From: Taro <taro@example.co.jp>\r\nTo: support@cx.example\r\nSubject: hello\r\n"
           "Message-ID: <m1@example.co.jp>\r\n\r\nこんにちは\r\n").encode()
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
        assert smtp.sendmail("taro@example.co.jp", ["support@cx.example", "reply+tok@OTHER-CX.EXAMPLE"],
                             raw) == {}
    (got, rcpts), = inbox.mails
    assert rcpts == ["support@cx.example", "reply+tok@OTHER-CX.EXAMPLE"]
    assert got.startswith(b"Return-Path: <taro@example.co.jp>\r\n")
    assert got.endswith(raw)  # bytes as sent, CRLF kept
    mail = parse(got)
    assert mail.text == "こんにちは" and mail.return_path == "taro@example.co.jp"
    assert mail.reply_token("other-cx.example", rcpts) == "tok"
    assert inbox.threads[0].startswith("smtp-receiver") and inbox.threads[0].endswith("loop=False")


def test_receiver_is_not_an_open_relay(receiver):
    rx, inbox = receiver
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
            smtp.sendmail("spam@example.net", ["victim@gmail.com"], b"Subject: x\r\n\r\nx\r\n")
        assert err.value.recipients["victim@gmail.com"][0] == 550
        # cx.example.evil.net and evil-cx.example are other domains
        refused = smtp.sendmail("a@example.net", ["support@cx.example", "x@cx.example.evil.net",
                                                  "y@evilcx.example"], b"Subject: x\r\n\r\nx\r\n")
        assert set(refused) == {"x@cx.example.evil.net", "y@evilcx.example"}
        assert all(code == 550 for code, _ in refused.values())
    assert [rcpts for _, rcpts in inbox.mails] == [["support@cx.example"]]


def test_on_mail_failure_answers_451_so_the_sender_retries(receiver):
    rx, inbox = receiver
    inbox.fail = True
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as err:
            smtp.sendmail("a@example.net", ["support@cx.example"], b"Subject: x\r\n\r\nx\r\n")
    assert err.value.smtp_code == 451
    assert b"Try again later" in err.value.smtp_error
    # cxbot's own sender sees the same answer as retryable
    with pytest.raises(MailSendError) as err2:
        send(parse_smtp_url(f"smtp://127.0.0.1:{rx.port}"), answer(to_addr="support@cx.example"))
    assert err2.value.retryable is True and err2.value.code == 451
    inbox.fail = False
    send(parse_smtp_url(f"smtp://127.0.0.1:{rx.port}"), answer(to_addr="support@cx.example"))
    assert len(inbox.mails) == 1


def test_size_limit(receiver):
    rx, inbox = receiver
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 100  # ~100 KB over a 64 KB limit
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
        smtp.ehlo()
        assert int(smtp.esmtp_features["size"]) == 64 * 1024
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as err:
            smtp.sendmail("a@example.net", ["support@cx.example"], big)
        assert err.value.smtp_code == 552
    with pytest.raises(MailSendError) as err2:  # cxbot's sender: permanent
        send(parse_smtp_url(f"smtp://127.0.0.1:{rx.port}"),
             answer(to_addr="support@cx.example", attachments=[("big.bin", None, b"\0" * 100_000)]))
    assert err2.value.retryable is False and err2.value.code == 552
    assert inbox.mails == []


def test_bounce_with_null_sender_is_marked(receiver):
    rx, inbox = receiver
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
        smtp.sendmail("", ["support@cx.example"],
                      b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\n\r\nsorry\r\n")
    raw, _ = inbox.mails[0]
    assert raw.startswith(b"Return-Path: <>\r\n")
    assert parse(raw).auto_kind == "bounce"


def test_cxbot_to_cxbot_round_trip_and_loop_detection(receiver):
    """A reply sent with `send` and received by the receiver is recognised as our own."""
    rx, inbox = receiver
    msg = answer(to_addr="support@cx.example")
    send(parse_smtp_url(f"smtp://127.0.0.1:{rx.port}"), msg)
    mail = parse(inbox.mails[0][0])
    assert is_own_message_id(mail.message_id, DOMAIN)
    assert mail.subject == "Re: 見積書について"
    assert mail.attachments[0].filename == "見積書.pdf"


def test_slow_on_mail_does_not_block_other_connections():
    gate = threading.Event()
    got: list[list[str]] = []

    def on_mail(raw: bytes, rcpts: list[str]) -> None:
        if rcpts == ["slow@cx.example"]:
            gate.wait(5)
        got.append(rcpts)

    with SmtpReceiver("127.0.0.1:0", {DOMAIN}, on_mail) as rx:
        def slow():
            with smtplib.SMTP("127.0.0.1", rx.port, timeout=10) as smtp:
                smtp.sendmail("a@example.net", ["slow@cx.example"], b"Subject: 1\r\n\r\n1\r\n")

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.1)
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
            smtp.sendmail("a@example.net", ["fast@cx.example"], b"Subject: 2\r\n\r\n2\r\n")
        assert time.monotonic() - started < 2
        assert got == [["fast@cx.example"]]
        gate.set()
        t.join(5)
        assert got == [["fast@cx.example"], ["slow@cx.example"]]


def test_stop_and_start_again():
    rx = SmtpReceiver("127.0.0.1:0", {DOMAIN}, lambda raw, rcpts: None)
    rx.start()
    port = rx.port
    rx.start()  # idempotent
    rx.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    rx.stop()  # idempotent
    rx.start()
    try:
        assert rx.port == port
        with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as smtp:
            assert smtp.noop()[0] == 250
    finally:
        rx.stop()
