"""`cxbot.mail.compose`: threaded replies, subjects, our own Message-IDs, and a round
trip through `parse` (what the customer's mail program would see)."""

from __future__ import annotations

import re

import pytest

from cxbot.mail import is_own_message_id, parse, reply, reply_subject
from cxbot.mail.compose import REFERENCES_MAX_CHARS, build_references

DOMAIN = "cx.example"


def answer(text: str = "ご連絡ありがとうございます。", **kw):
    args = dict(from_addr="support@cx.example", from_name="サポート窓口", to_addr="taro@example.co.jp",
                subject="見積書について", text=text, in_reply_to="<CAF=first@mail.gmail.com>",
                references=[], message_id_domain=DOMAIN)
    args.update(kw)
    return reply(**args)


@pytest.mark.parametrize("subject, expected", [
    ("見積書について", "Re: 見積書について"),
    ("Re: 見積書について", "Re: 見積書について"),
    ("RE: Re: re: 見積書について", "Re: 見積書について"),
    ("Re[2]: Invoice", "Re: Invoice"),
    ("Re(3): Invoice", "Re: Invoice"),
    ("RE : Invoice", "Re: Invoice"),
    ("AW: SV: Invoice", "Re: Invoice"),
    ("Ｒｅ：見積", "Re: 見積"),
    ("Re：見積", "Re: 見積"),
    ("Fwd: 見積", "Re: Fwd: 見積"),
    ("Regarding invoices", "Re: Regarding invoices"),
    ("Reply needed", "Re: Reply needed"),
    ("  Re:   spaced   out ", "Re: spaced out"),
    ("", "Re:"),
    (None, "Re:"),
])
def test_reply_subject(subject, expected):
    assert reply_subject(subject) == expected


def test_headers_of_a_reply():
    msg = answer(reply_token="k3y_Tok3n")
    mid = msg["Message-ID"]
    assert re.fullmatch(r"<cxbot\.[0-9a-f]{32}@cx\.example>", mid)
    assert msg["In-Reply-To"] == "<CAF=first@mail.gmail.com>"
    assert msg["References"] == "<CAF=first@mail.gmail.com>"
    assert msg["Subject"] == "Re: 見積書について"
    assert msg["Reply-To"] == "reply+k3y_Tok3n@cx.example"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Auto-Submitted"] is None  # a person's answer
    assert msg["Date"]
    assert msg["From"].addresses[0].display_name == "サポート窓口"
    assert msg["From"].addresses[0].addr_spec == "support@cx.example"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().strip() == "ご連絡ありがとうございます。"
    assert is_own_message_id(mid, DOMAIN)
    assert answer()["Reply-To"] is None
    assert answer()["Message-ID"] != mid


def test_is_own_message_id():
    assert is_own_message_id("cxbot.abc@cx.example", "CX.example")
    assert is_own_message_id("<cxbot.abc@cx.example>", DOMAIN)
    assert not is_own_message_id("<cxbot.abc@other.example>", DOMAIN)
    assert not is_own_message_id("<CAF=abc@mail.gmail.com>", DOMAIN)
    assert not is_own_message_id("<xcxbot.abc@cx.example>", DOMAIN)
    assert not is_own_message_id(None, DOMAIN)
    assert not is_own_message_id("", DOMAIN)


def test_threading_over_three_replies():
    """customer -> answer 1 -> customer -> answer 2 -> customer -> answer 3, each time the
    answer is composed from what `parse` read out of the customer's latest mail."""
    customer_ids = ["<c1@mail.gmail.com>", "<c2@mail.gmail.com>", "<c3@mail.gmail.com>"]
    answers = []
    for i, cid in enumerate(customer_ids):
        prev = answers[-1] if answers else None
        lines = ["From: Taro <taro@example.co.jp>", "To: support@cx.example", f"Message-ID: {cid}",
                 f"Subject: {prev['Subject'] if prev else '配送について'}"]  # raw 8-bit, as some clients do
        if prev:  # what the customer's mail program puts in a reply to our answer
            lines += [f"In-Reply-To: {prev['Message-ID']}",
                      f"References: {' '.join((prev['References'] or '').split() + [prev['Message-ID']])}"]
        mail = parse(("\r\n".join(lines) + f"\r\n\r\nmail {i}\r\n").encode())
        answers.append(answer(subject=mail.subject, in_reply_to=mail.message_id, references=mail.references))

    a1, a2, a3 = answers
    assert a1["Subject"] == a2["Subject"] == a3["Subject"] == "Re: 配送について"
    assert a1["References"] == "<c1@mail.gmail.com>"
    assert a2["In-Reply-To"] == "<c2@mail.gmail.com>"
    assert a2["References"].split() == ["<c1@mail.gmail.com>", a1["Message-ID"], "<c2@mail.gmail.com>"]
    assert a3["In-Reply-To"] == "<c3@mail.gmail.com>"
    assert a3["References"].split() == ["<c1@mail.gmail.com>", a1["Message-ID"], "<c2@mail.gmail.com>",
                                        a2["Message-ID"], "<c3@mail.gmail.com>"]
    assert len({a["Message-ID"] for a in answers}) == 3


def test_references_deduplicated_and_trimmed():
    assert build_references(["<a@x>", "a@x", "<b@x>"], "<a@x>") == ["<b@x>", "<a@x>"]
    assert build_references("<a@x> <b@x>", "c@x") == ["<a@x>", "<b@x>", "<c@x>"]
    assert build_references(None, None) == []
    many = [f"<message-{i:04d}-{'x' * 40}@mail.example.com>" for i in range(100)]
    refs = build_references(many, "<newest@mail.example.com>")
    assert refs[0] == many[0]  # the thread root stays
    assert refs[-1] == "<newest@mail.example.com>"
    assert refs[-2] == many[-1]
    assert len(" ".join(refs)) <= REFERENCES_MAX_CHARS
    assert refs[1:] == (many + ["<newest@mail.example.com>"])[-(len(refs) - 1):]  # contiguous newest ones
    msg = answer(references=many, in_reply_to="<newest@mail.example.com>")
    assert parse(msg.as_bytes()).references == [r.strip("<>") for r in refs]


def test_round_trip_through_parse_with_attachments_and_long_lines():
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 10
    long_line = "長い行です。" * 300
    text = f"山田様\n\nお問い合わせありがとうございます。\n{long_line}\n\nサポート窓口"
    msg = answer(text=text, subject="Re: Re: 見積書について", reply_token="tok",
                 attachments=[("見積書 (改訂版).pdf", "application/pdf", pdf),
                              ("original.eml", "message/rfc822", b"From: a@b\r\n\r\nx\r\n"),
                              ("data.csv", None, "名前,数量\n".encode())])
    raw = msg.as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998  # SMTP line limit
    mail = parse(raw)
    assert mail.subject == "Re: 見積書について"
    assert mail.from_addr == "support@cx.example" and mail.from_name == "サポート窓口"
    assert mail.to == ["taro@example.co.jp"]
    assert mail.reply_to == "reply+tok@cx.example"
    assert mail.reply_token(DOMAIN) is None  # the token is where replies go, not where this went
    assert mail.in_reply_to == "CAF=first@mail.gmail.com"
    assert is_own_message_id(mail.message_id, DOMAIN)
    assert mail.text == text
    assert mail.auto_kind is None
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("見積書 (改訂版).pdf", "application/pdf"), ("original.eml", "message/rfc822"), ("data.csv", "text/csv")]
    assert mail.attachments[0].data == pdf
    # The customer answers: their mail's reply_token comes back through Reply-To.
    back = (f"From: taro@example.co.jp\r\nTo: reply+tok@cx.example\r\nMessage-ID: <c9@example.co.jp>\r\n"
            f"In-Reply-To: <{mail.message_id}>\r\nSubject: {msg['Subject']}\r\n\r\nthanks\r\n").encode()
    assert parse(back).reply_token(DOMAIN) == "tok"


def test_ascii_reply_is_plain_7bit():
    msg = answer(text="Thanks!\r\nSee you.", from_name="Support")
    assert msg["Content-Transfer-Encoding"] == "7bit"
    assert b"Thanks!\nSee you.\n" in msg.as_bytes()


@pytest.mark.parametrize("bad", [dict(from_addr="support"), dict(to_addr=""), dict(reply_token="a b@c")])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        answer(**bad)


def test_message_id_can_be_reused_for_a_retry():
    first = answer()
    again = answer(message_id=first["Message-ID"])
    assert again["Message-ID"] == first["Message-ID"]
