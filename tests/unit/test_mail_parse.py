"""`cxbot.mail.parse` on realistic mail: Japanese charsets, HTML-only mail, attachments,
reply quoting from Gmail / Outlook / Apple Mail (English and Japanese), machine mail,
Gmail's forwarding confirmation, and broken input."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from cxbot.mail import parse
from cxbot.mail.charsets import decode_bytes
from cxbot.mail.headers import decode_header_value
from cxbot.mail.html_text import html_to_text
from cxbot.mail.quotes import strip_quoted


def b64(text: str, charset: str = "utf-8") -> str:
    data = base64.b64encode(text.encode(charset)).decode()
    return "\n".join(data[i:i + 76] for i in range(0, len(data), 76))


def ew(text: str, charset: str = "utf-8") -> str:
    """One RFC 2047 B encoded word."""
    return f"=?{charset.upper()}?B?{base64.b64encode(text.encode(charset)).decode()}?="


# ① ② ㈱ as Windows' ISO-2022-JP (CP50220) writes them: JIS row 13 under ESC $ B.
_NEC = {"①": b"\x2d\x21", "②": b"\x2d\x22", "㈱": b"\x2d\x6a"}


def cp50220(text: str) -> bytes:
    out = b""
    for ch in text:
        out += b"\x1b$B" + _NEC[ch] + b"\x1b(B" if ch in _NEC else ch.encode("iso2022_jp")
    return out


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


# --------------------------------------------------------------------------- Japanese charsets


def test_gmail_new_message_utf8_alternative():
    body = "お世話になっております。\n株式会社サンプルの山田です。\n\n見積書の件でご相談があります。\nよろしくお願いいたします。\n"
    html = ("<div dir=\"ltr\"><div>お世話になっております。</div><div>株式会社サンプルの山田です。</div>"
            "<div><br></div><div>見積書の件でご相談があります。</div><div>よろしくお願いいたします。</div></div>")
    raw = crlf(f"""Delivered-To: support@cx.example
Received: by 2002:a05:6a10:1234 with SMTP id abc; Tue, 24 Nov 2026 01:00:05 -0800 (PST)
MIME-Version: 1.0
From: {ew("山田 太郎")} <Taro.Yamada@Example.co.jp>
Date: Tue, 24 Nov 2026 18:00:00 +0900
Message-ID: <CAF=xK2pQ+9fWn7s_vE1uA@mail.gmail.com>
Subject: {ew("見積書について")}
To: support@CX.example
Content-Type: multipart/alternative; boundary="0000000000004f1d2a05f0a1b2c3"

--0000000000004f1d2a05f0a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

{b64(body)}
--0000000000004f1d2a05f0a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: base64

{b64(html)}
--0000000000004f1d2a05f0a1b2c3--
""")
    mail = parse(raw)
    assert mail.message_id == "CAF=xK2pQ+9fWn7s_vE1uA@mail.gmail.com"
    assert not mail.message_id_synthetic
    assert mail.subject == "見積書について"
    assert mail.from_name == "山田 太郎"
    assert mail.from_addr == "taro.yamada@example.co.jp"
    assert mail.to == ["support@cx.example"]
    assert mail.delivered_to == ["support@cx.example"]
    assert mail.date == datetime(2026, 11, 24, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    assert mail.text == body.strip()
    assert mail.new_text == body.strip()
    assert "<div>" in mail.html
    assert mail.attachments == []
    assert mail.auto_kind is None
    assert mail.gmail_forwarding_confirmation is None
    assert mail.in_reply_to is None and mail.references == []


def test_iso_2022_jp_subject_and_body_with_windows_characters():
    # Japanese mailers label CP50220 text "ISO-2022-JP": ① and ㈱ are NEC special characters.
    body = "㈱サンプル 御中\n\n①請求書の再発行\n②納品日の確認\nをお願いします。\n"
    raw = b"\r\n".join([
        b"From: =?ISO-2022-JP?B?" + base64.b64encode("鈴木 一郎".encode("iso2022_jp")) + b"?= <suzuki@example.ne.jp>",
        b"To: support@cx.example",
        b"Subject: =?ISO-2022-JP?B?" + base64.b64encode("ご請求書の再発行について".encode("iso2022_jp")) + b"?=",
        b"Date: Wed, 25 Nov 2026 09:15:00 +0900",
        b"Message-Id: <20261125091500.1234@example.ne.jp>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=ISO-2022-JP",
        b"Content-Transfer-Encoding: 7bit",
        b"X-Mailer: Becky! ver. 2.81.05",
        b"",
        cp50220(body).replace(b"\n", b"\r\n"),
    ])
    mail = parse(raw)
    assert mail.subject == "ご請求書の再発行について"
    assert mail.from_name == "鈴木 一郎"
    assert mail.text.startswith("㈱サンプル 御中")
    assert "①請求書の再発行" in mail.text
    assert "②納品日の確認" in mail.text
    assert "\ufffd" not in mail.text


def test_iso_2022_jp_subject_split_over_encoded_words():
    subject = "Re: 【重要】ご注文の確認とお支払い方法のご案内（2026年11月分）"
    raw = crlf(f"""From: shop@example.jp
To: support@cx.example
Subject: {ew(subject[:16], "iso-2022-jp")}
 {ew(subject[16:], "iso-2022-jp")}
Message-ID: <a1@example.jp>

body
""")
    assert parse(raw).subject == subject


def test_utf8_encoded_word_split_in_the_middle_of_a_character():
    data = "ありがとうございます".encode()
    first, second = base64.b64encode(data[:7]).decode(), base64.b64encode(data[7:]).decode()
    assert decode_header_value(f"=?UTF-8?B?{first}?= =?UTF-8?B?{second}?=") == "ありがとうございます"
    assert decode_header_value('"=?UTF-8?Q?=E5=B1=B1=E7=94=B0?=" <a@b.jp>') == '"山田" <a@b.jp>'


def test_shift_jis_body_and_raw_8bit_headers():
    body = "いつもお世話になっております。\r\n～ 配送について ～\r\n①の件、ご確認ください。\r\n"
    raw = ("From: 佐藤 花子 <hanako@example.co.jp>\r\n"
           "To: support@cx.example\r\n"
           "Subject: 配送についての問い合わせ\r\n"
           "Message-ID: <sjis-1@example.co.jp>\r\n"
           "Content-Type: text/plain; charset=Shift_JIS\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n" + body).encode("cp932")
    mail = parse(raw)
    assert mail.subject == "配送についての問い合わせ"
    assert mail.from_name == "佐藤 花子"
    assert mail.from_addr == "hanako@example.co.jp"
    assert "～ 配送について ～" in mail.text
    assert "①の件" in mail.text


def test_euc_jp_quoted_printable_body():
    body = "東京都千代田区の田中です。\n注文番号 A-1001 の件です。\n"
    import quopri
    qp = quopri.encodestring(body.encode("euc_jp")).decode()
    raw = crlf(f"""From: tanaka@example.jp
To: support@cx.example
Subject: order
Message-ID: <euc@example.jp>
Content-Type: text/plain; charset="EUC-JP"
Content-Transfer-Encoding: quoted-printable

{qp}""")
    assert parse(raw).text == body.strip()


@pytest.mark.parametrize("label", ["utf-8", "us-ascii", "x-unknown-charset", "", "iso-8859-1"])
def test_wrong_or_missing_charset_does_not_crash(label):
    body = "こんにちは。返品の手続きを教えてください。".encode("cp932")
    ctype = f"text/plain; charset={label}" if label else "text/plain"
    raw = b"From: a@example.jp\r\nTo: support@cx.example\r\nSubject: x\r\nContent-Type: " + ctype.encode() + \
        b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    mail = parse(raw)
    assert mail.text
    if label != "iso-8859-1":  # a declared single-byte charset is believed (it always decodes)
        assert mail.text == "こんにちは。返品の手続きを教えてください。"


def test_decode_bytes_never_raises():
    assert decode_bytes(b"\xff\xfe\xfa broken", "utf-8")
    assert decode_bytes(b"abc", "no-such-charset") == "abc"
    assert decode_bytes("日本語".encode("euc_jp"), None) == "日本語"
    assert decode_bytes("日本語".encode("iso2022_jp"), None) == "日本語"
    assert decode_bytes("日本語".encode("iso2022_jp"), "utf-8") == "日本語"  # mislabelled JIS
    assert decode_bytes(b"\xef\xbb\xbfBOM", "shift_jis") == "BOM"
    assert decode_bytes("Café 日本".encode(), "iso-8859-1") == "Café 日本"  # UTF-8 labelled Latin-1
    assert decode_bytes("Café".encode("latin-1"), "iso-8859-1") == "Café"


# --------------------------------------------------------------------------- HTML


def test_html_only_mail_becomes_readable_text():
    html = """<html><head><style>p { color: red }</style><title>ignored</title>
<script>alert('x')</script></head>
<body><p>お問い合わせありがとうございます&#12290;</p>
<p>ご注文内容:<br>商品A &times; 2<br>商品B&nbsp;&amp;&nbsp;C</p>
<ul><li>配送: 11/30</li><li>支払: 銀行振込</li></ul>
<div>詳細は<a href="https://shop.example.jp/orders/1001">こちら</a></div>
<table><tr><td>合計</td><td>&yen;3,300</td></tr></table>
</body></html>"""
    raw = crlf(f"""From: shop@example.jp
To: support@cx.example
Subject: html
Message-ID: <html-only@example.jp>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{b64(html)}""")
    mail = parse(raw)
    assert mail.html is not None
    text = mail.text
    assert "alert" not in text and "color" not in text and "ignored" not in text
    assert text.splitlines()[0] == "お問い合わせありがとうございます。"
    assert "ご注文内容:\n商品A × 2\n商品B & C" in text
    assert "・配送: 11/30\n・支払: 銀行振込" in text
    assert "こちら <https://shop.example.jp/orders/1001>" in text
    assert "合計\t¥3,300" in text


def test_html_to_text_gmail_divs_and_blockquote():
    html = ('<div dir="ltr">はい、大丈夫です。<div><br></div><div>よろしくお願いします。</div></div><br>'
            '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Nov 24, 2026 at 10:00 AM '
            'Support &lt;support@cx.example&gt; wrote:<br></div><blockquote class="gmail_quote">'
            '<div>ご都合いかがでしょうか。</div></blockquote></div>')
    text = html_to_text(html)
    assert text.startswith("はい、大丈夫です。\n\nよろしくお願いします。")
    assert "> ご都合いかがでしょうか。" in text
    assert strip_quoted(text) == "はい、大丈夫です。\n\nよろしくお願いします。"


# --------------------------------------------------------------------------- attachments


def test_attachments_with_japanese_filenames():
    pdf = b"%PDF-1.4 fake"
    xlsx = b"PK\x03\x04 fake"
    raw = crlf(f"""From: =?UTF-8?B?5bGx55Sw?= <yamada@example.co.jp>
To: support@cx.example
Subject: =?UTF-8?B?6KaL56mN5pu4?=
Message-ID: <attach@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

{b64("見積書を添付します。")}
--b1
Content-Type: application/pdf; name="{ew("見積書_2026年11月.pdf", "iso-2022-jp")}"
Content-Disposition: attachment; filename="{ew("見積書_2026年11月.pdf", "iso-2022-jp")}"
Content-Transfer-Encoding: base64

{base64.b64encode(pdf).decode()}
--b1
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename*0*=UTF-8''%E8%AB%8B%E6%B1%82%E6%98%8E%E7%B4%B0;
 filename*1*=%E6%9B%B8.xlsx
Content-Transfer-Encoding: base64

{base64.b64encode(xlsx).decode()}
--b1
Content-Type: text/plain; charset=Shift_JIS; name="memo.txt"
Content-Disposition: attachment; filename="memo.txt"
Content-Transfer-Encoding: base64

{b64("メモ", "cp932")}
--b1--
""")
    mail = parse(raw)
    assert mail.text == "見積書を添付します。"
    names = [a.filename for a in mail.attachments]
    assert names == ["見積書_2026年11月.pdf", "請求明細書.xlsx", "memo.txt"]
    filename, ctype, data = mail.attachments[0]
    assert (filename, ctype, data) == ("見積書_2026年11月.pdf", "application/pdf", pdf)
    assert mail.attachments[1].content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert mail.attachments[1].data == xlsx
    assert mail.attachments[2].data == "メモ".encode("cp932")


def test_apple_mail_inline_image_in_related_and_forwarded_message():
    png = b"\x89PNG\r\n\x1a\nfake"
    raw = crlf(f"""From: Hanako <hanako@icloud.com>
To: support@cx.example
Subject: =?utf-8?B?55S76Z2i44Gu44Ko44Op44O8?=
Message-Id: <5D1C2B3A-1111-2222-3333-444455556666@icloud.com>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Content-Type: multipart/alternative; boundary="Apple-Mail=_A"

--Apple-Mail=_A
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain; charset=utf-8

=E7=94=BB=E9=9D=A2=E3=81=8C=E3=81=93=E3=81=86=E3=81=AA=E3=82=8A=E3=81=BE=E3=81=99=E3=80=82

--Apple-Mail=_A
Content-Type: multipart/related; type="text/html"; boundary="Apple-Mail=_B"

--Apple-Mail=_B
Content-Transfer-Encoding: 7bit
Content-Type: text/html; charset=us-ascii

<html><body>see <img src="cid:ABC@local"></body></html>
--Apple-Mail=_B
Content-Transfer-Encoding: base64
Content-Disposition: inline
Content-Type: image/png
Content-Id: <ABC@local>

{base64.b64encode(png).decode()}
--Apple-Mail=_B--

--Apple-Mail=_A--
""")
    mail = parse(raw)
    assert mail.subject == "画面のエラー"
    assert mail.text == "画面がこうなります。"
    assert len(mail.attachments) == 1
    name, ctype, data = mail.attachments[0]
    assert ctype == "image/png" and data == png and name.endswith(".png")


def test_message_rfc822_attachment():
    raw = crlf("""From: a@example.jp
To: support@cx.example
Subject: Fwd: as attachment
Message-ID: <outer@example.jp>
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain; charset=utf-8

see attached
--m
Content-Type: message/rfc822

From: b@example.jp
Subject: inner one
Message-ID: <inner@example.jp>

inner body
--m--
""")
    mail = parse(raw)
    assert mail.text == "see attached"
    (name, ctype, data), = mail.attachments
    assert name == "inner one.eml" and ctype == "message/rfc822" and b"inner body" in data
    assert mail.message_id == "outer@example.jp"


# --------------------------------------------------------------------------- reply quoting


def reply_mail(body: str, subject: str = "Re: 見積書について", charset: str = "utf-8",
               extra_headers: str = "") -> bytes:
    return crlf(f"""From: Taro <taro@example.co.jp>
To: support@cx.example
Subject: {ew(subject)}
Message-ID: <reply-1@example.co.jp>
In-Reply-To: <cxbot.aaa@cx.example>
References: <CAF=first@mail.gmail.com> <cxbot.aaa@cx.example>
{extra_headers}Content-Type: text/plain; charset={charset}
Content-Transfer-Encoding: base64

{b64(body, charset)}""")


def test_gmail_english_reply():
    body = """Thanks, Tuesday works for me.

On Tue, Nov 24, 2026 at 10:00 AM Support Desk <support@cx.example>
wrote:

> Would Tuesday suit you?
>
> Support Desk
"""
    mail = parse(reply_mail(body))
    assert mail.new_text == "Thanks, Tuesday works for me."
    assert "Would Tuesday suit you?" in mail.text
    assert mail.in_reply_to == "cxbot.aaa@cx.example"
    assert mail.references == ["CAF=first@mail.gmail.com", "cxbot.aaa@cx.example"]
    assert mail.thread_ids == ["cxbot.aaa@cx.example", "CAF=first@mail.gmail.com"]


def test_gmail_japanese_reply():
    body = """承知しました。火曜日でお願いします。

山田

2026年11月24日(火) 10:00 サポート窓口 <support@cx.example>:

> 山田様
>
> 火曜日はいかがでしょうか。
"""
    assert parse(reply_mail(body)).new_text == "承知しました。火曜日でお願いします。\n\n山田"


def test_gmail_japanese_reply_with_wrapped_attribution():
    body = "ありがとうございます。\n\n2026年11月24日(火) 10:00 サポート窓口 カスタマーサクセス <\nsupport@cx.example>:\n\n> 前のメール\n"
    assert parse(reply_mail(body)).new_text == "ありがとうございます。"


def test_outlook_english_reply_without_quote_marks():
    body = """Please send the invoice again.

Regards,
Ichiro

________________________________
From: Support Desk <support@cx.example>
Sent: Tuesday, November 24, 2026 10:00 AM
To: Ichiro Suzuki <suzuki@example.com>
Subject: RE: Invoice

Here is the invoice.
"""
    assert parse(reply_mail(body, "RE: Invoice")).new_text == "Please send the invoice again.\n\nRegards,\nIchiro"


def test_outlook_japanese_reply_block():
    body = """お世話になっております。
再送ありがとうございました。

差出人: サポート窓口 <support@cx.example>
送信日時: 2026年11月24日 10:00
宛先: 鈴木 一郎 <suzuki@example.com>
件名: RE: 請求書

請求書を再送いたします。
"""
    assert parse(reply_mail(body)).new_text == "お世話になっております。\n再送ありがとうございました。"


@pytest.mark.parametrize("marker", ["-----Original Message-----", "----- Original Message -----",
                                    "-----元のメッセージ-----"])
def test_original_message_separator(marker):
    body = f"OK, thanks.\n\n{marker}\nFrom: Support\nSent: Tue\nSubject: x\n\nold text\n"
    assert parse(reply_mail(body)).new_text == "OK, thanks."


def test_apple_mail_replies_english_and_japanese_flowed():
    en = "Got it.\n\nSent from my iPhone\n\n> On Nov 24, 2026, at 10:00, Support <support@cx.example> wrote:\n> \n> old\n"
    assert parse(reply_mail(en)).new_text == "Got it.\n\nSent from my iPhone"
    ja = ("了解です。明日 \n伺います。\n\n2026/11/24 10:00、サポート窓口 <support@cx.example>のメール:\n\n"
          "> 明日はいかがですか。\n")
    raw = reply_mail(ja).replace(b"charset=utf-8", b"charset=utf-8; format=flowed")
    mail = parse(raw)
    assert mail.new_text == "了解です。明日 伺います。"


def test_interleaved_quotes_keep_the_answers():
    body = "> ご希望の日時は?\n11/30 14時でお願いします。\n> 人数は?\n3名です。\n"
    assert parse(reply_mail(body)).new_text == "11/30 14時でお願いします。\n3名です。"


def test_nothing_recognised_keeps_everything_and_only_quotes_falls_back():
    plain = "特に引用はありません。\nFrom: の文字を含むだけの行\n"
    assert parse(reply_mail(plain)).new_text == plain.strip()
    only_quotes = "> 以前のメール\n> の全文\n"
    mail = parse(reply_mail(only_quotes))
    assert mail.new_text == mail.text == only_quotes.strip()


def test_dated_lines_in_a_body_are_not_reply_headers():
    body = "打ち合わせの候補です。\n\n2026年12月1日(月) 14:00 議題:\n・見積\n・納期\n\nOn Monday we wrote:\nnothing\n"
    assert parse(reply_mail(body)).new_text == body.strip()


def test_forwarded_mail_keeps_the_forwarded_content():
    body = """下記の問い合わせが来ています。

---------- Forwarded message ---------
From: 顧客 <customer@example.jp>
Date: 2026年11月24日(火) 9:00
Subject: 返品について
To: <info@company.example>

返品したいです。
"""
    mail = parse(reply_mail(body, subject="Fwd: 返品について"))
    assert "返品したいです。" in mail.new_text


# --------------------------------------------------------------------------- machine mail


def headers_mail(headers: str, subject: str = "hello", from_addr: str = "someone@example.com",
                 content_type: str = "text/plain; charset=utf-8", body: str = "body") -> bytes:
    return crlf(f"From: {from_addr}\nTo: support@cx.example\nSubject: {subject}\nMessage-ID: <m@example.com>\n"
                f"{headers}Content-Type: {content_type}\n\n{body}\n")


@pytest.mark.parametrize("headers, subject, kind", [
    ("", "hello", None),
    ("Auto-Submitted: no\n", "hello", None),
    ("Auto-Submitted: auto-replied\n", "Re: hello", "auto-submitted"),
    ("Auto-Submitted: auto-generated\n", "Notice", "auto-submitted"),
    ("Auto-Submitted: auto-replied (vacation)\nPrecedence: bulk\n", "Vacation", "auto-submitted"),
    ("X-Autoreply: yes\n", "Re: hello", "auto-reply"),
    ("X-Autorespond: Out of office\n", "Re: hello", "auto-reply"),
    ("Precedence: bulk\n", "newsletter", "auto-reply"),
    ("X-Precedence: junk\n", "x", "auto-reply"),
    ("Precedence: auto_reply\n", "x", "auto-reply"),
    ("X-Loop: support@other.example\n", "x", "auto-reply"),
    ("X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: someone@example.com\n",
     "=?UTF-8?B?6Ieq5YuV5b+c562UOiDopovnqY3mm7jjgavjgaTjgYTjgaY=?=", "auto-reply"),
    ("X-Auto-Response-Suppress: All\n", "Automatic reply: Invoice", "auto-reply"),
    ("", "Out of Office: back on Monday", "auto-reply"),
    ("", ew("【不在通知】11/24まで不在にしております"), "auto-reply"),
    ("", ew("【自動返信】お問い合わせを受け付けました"), "auto-reply"),
    ("", ew("不在通知: 11/24まで"), "auto-reply"),
    ("", ew("Re: 不在時の配達について"), None),
    ("", ew("自動車保険の件"), None),
    ("List-Id: <news.example.com>\n", "Weekly news", "list"),
    ("List-Unsubscribe: <mailto:unsub@example.com>\n", "Sale", "list"),
    ("List-Id: Support <support.company.example>\nPrecedence: list\n", "Question", "list"),
    ("X-Failed-Recipients: nobody@example.com\n", "Mail delivery failed", "bounce"),
    ("Return-Path: <>\n", "Undelivered Mail Returned to Sender", "bounce"),
])
def test_auto_kind(headers, subject, kind):
    assert parse(headers_mail(headers, subject)).auto_kind == kind


def test_mailer_daemon_dsn_is_a_bounce():
    raw = crlf("""Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>
To: support@cx.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

--dsn
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.
I'm sorry to have to inform you that your message could not be delivered.

<nobody@example.com>: host mx.example.com said: 550 5.1.1 User unknown
--dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1
--dsn
Content-Type: text/rfc822-headers

From: support@cx.example
Message-ID: <cxbot.123@cx.example>
--dsn--
""")
    mail = parse(raw)
    assert mail.auto_kind == "bounce"
    assert mail.from_addr == "mailer-daemon@mx.example.com"
    assert "could not be delivered" in mail.text
    assert "Final-Recipient" not in mail.text
    assert mail.return_path == ""


def test_postmaster_sender_is_a_bounce():
    assert parse(headers_mail("", "Delivery Status Notification (Failure)",
                              from_addr="postmaster@outlook.com")).auto_kind == "bounce"


# --------------------------------------------------------------------------- Gmail forwarding confirmation

GMAIL_CONFIRM_EN = """Delivered-To: support@cx.example
Return-Path: <forwarding-noreply@google.com>
MIME-Version: 1.0
From: Gmail Team <forwarding-noreply@google.com>
To: support@cx.example
Date: Tue, 24 Nov 2026 01:02:03 -0800
Message-ID: <CAH7fG2b_0kJd4@mail.gmail.com>
Subject: (#827364519) Gmail Forwarding Confirmation - Receive Mail from
 company.support@gmail.com
Auto-Submitted: auto-generated
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes

company.support@gmail.com has requested to automatically forward mail to your =
email
address support@cx.example.
Confirmation code: 827364519

To allow company.support@gmail.com to automatically forward mail to your  =
address,
please click the link below to confirm the request:

https://mail-settings.google.com/mail/vf-%5BANGjdJ_Q2xzVm9rd2VyLnNhbXBsZQ%5D-=
Wn4Yc1pNqzRtL0s8Uq5HhE1vJw

If you click the link and it appears to be broken, please copy and paste it
into a new browser window. If you aren't able to access the link, you can
send the confirmation code 827364519 to company.support@gmail.com.

Thanks for using Gmail!

Sincerely,

The Gmail Team

If you do not approve this request, no further action is required.
company.support@gmail.com cannot automatically forward messages to your email
address unless you confirm the request by clicking the link above. If you
accidentally clicked the link, but you do not want to allow
company.support@gmail.com to automatically forward messages to your address,
click this link to cancel this verification:
https://mail-settings.google.com/mail/uf-%5BANGjdJ_Q2xzVm9rd2VyLnNhbXBsZQ%5D-Wn4Yc1pNqzRtL0s8Uq5HhE1vJw

To learn more about why you might have received this message, please visit:
http://support.google.com/mail/bin/answer.py?answer=184973.

Please do not respond to this message. If you've received this message in
error, please visit http://support.google.com/mail/bin/answer.py?answer=184973.
"""


def test_gmail_forwarding_confirmation_english():
    # The body is quoted-printable-ish soft breaks in real life; here Content-Transfer-Encoding
    # is quoted-printable so "=\n" joins lines.
    raw = crlf(GMAIL_CONFIRM_EN.replace('format=flowed; delsp=yes\n',
                                        'format=flowed; delsp=yes\nContent-Transfer-Encoding: quoted-printable\n'))
    mail = parse(raw)
    c = mail.gmail_forwarding_confirmation
    assert c is not None
    assert c.code == "827364519"
    assert c.link == "https://mail-settings.google.com/mail/vf-%5BANGjdJ_Q2xzVm9rd2VyLnNhbXBsZQ%5D-Wn4Yc1pNqzRtL0s8Uq5HhE1vJw"
    assert c.requester == "company.support@gmail.com"
    # It is machine mail too: callers check the confirmation first.
    assert mail.auto_kind == "auto-submitted"


def test_gmail_forwarding_confirmation_japanese_html():
    text = ("company.support@gmail.com から support@cx.example へのメールの自動転送がリクエストされました。\n"
            "確認コード: 193847562\n\n"
            "company.support@gmail.com からあなたのアドレスへのメールの自動転送を許可するには、"
            "下記のリンクをクリックしてリクエストを確認してください。\n\n"
            "https://mail-settings.google.com/mail/vf-%5BANGjdJ9xYz%5D-QwErTy12\n\n"
            "このリクエストを承認しない場合は、何もする必要はありません。\n"
            "https://mail-settings.google.com/mail/uf-%5BANGjdJ9xYz%5D-QwErTy12\n")
    html = ("<html><body><p>company.support@gmail.com から support@cx.example へのメールの自動転送が"
            "リクエストされました。<br>確認コード: 193847562</p><p><a href=\"https://mail-settings.google.com/mail/"
            "vf-%5BANGjdJ9xYz%5D-QwErTy12\">https://mail-settings.google.com/mail/vf-%5BANGjdJ9xYz%5D-QwErTy12"
            "</a></p></body></html>")
    raw = crlf(f"""From: Gmail Team <mail-noreply@google.com>
To: support@cx.example
Subject: {ew("Gmail の転送の確認(#193847562) - company.support@gmail.com からメールを受信")}
Message-ID: <CAJa1@mail.gmail.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="g"

--g
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

{b64(text)}
--g
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: base64

{b64(html)}
--g--
""")
    c = parse(raw).gmail_forwarding_confirmation
    assert c is not None
    assert c.code == "193847562"
    assert c.link == "https://mail-settings.google.com/mail/vf-%5BANGjdJ9xYz%5D-QwErTy12"
    assert c.requester == "company.support@gmail.com"


def test_gmail_confirmation_html_only_and_lookalike_links_ignored():
    html = ('<p>boss@gmail.com has requested to automatically forward mail to your email address '
            'support@cx.example.<br>Confirmation code: 555666777</p>'
            '<p><a href="https://mail-settings.google.com.evil.example/mail/vf-phish">confirm</a></p>')
    raw = crlf(f"""From: forwarding-noreply@google.com
To: support@cx.example
Subject: Gmail Forwarding Confirmation - Receive Mail from boss@gmail.com
Content-Type: text/html; charset=utf-8

{html}""")
    c = parse(raw).gmail_forwarding_confirmation
    assert c is not None and c.code == "555666777" and c.link is None and c.requester == "boss@gmail.com"


def test_not_a_gmail_confirmation():
    assert parse(headers_mail("", "Gmail forwarding question",
                              body="How do I set up forwarding? code 123456789")).gmail_forwarding_confirmation is None
    assert parse(headers_mail("", "Security alert", from_addr="no-reply@accounts.google.com",
                              body="New sign-in")).gmail_forwarding_confirmation is None


# --------------------------------------------------------------------------- ids, recipients, broken input


def test_missing_message_id_gets_a_stable_synthetic_one():
    raw = b"From: a@example.jp\r\nTo: support@cx.example\r\nSubject: no id\r\n\r\nhello\r\n"
    mail = parse(raw)
    assert mail.message_id_synthetic
    assert mail.message_id == hashlib.sha256(raw).hexdigest() + "@cxbot.invalid"
    assert parse(raw).message_id == mail.message_id
    assert parse(raw + b"x").message_id != mail.message_id


def test_gmail_auto_forwarded_mail_recipients_and_reply_token():
    raw = crlf("""Delivered-To: support@cx.example
Received: by 2002:a05:7300:1 with SMTP id x; Tue, 24 Nov 2026 01:00:00 -0800
X-Forwarded-To: support@cx.example
X-Forwarded-For: info@company.example support@cx.example
Delivered-To: info@company.example
From: Customer <customer@example.jp>
To: "Company Info" <Info@Company.example>
Cc: reply+AbC123xyz@CX.example, other@example.jp
Subject: question
Message-ID: <q@example.jp>

hello
""")
    mail = parse(raw)
    assert mail.to == ["info@company.example"]
    assert mail.x_forwarded_to == ["support@cx.example"]
    assert mail.x_forwarded_for == ["info@company.example", "support@cx.example"]
    assert mail.delivered_to == ["support@cx.example", "info@company.example"]
    assert mail.recipients() == ["info@company.example", "reply+abc123xyz@cx.example", "other@example.jp",
                                 "support@cx.example"]
    assert mail.recipients(["Sales@CX.example"])[0] == "sales@cx.example"
    assert mail.reply_token("cx.example") == "AbC123xyz"
    assert mail.reply_token("other.example") is None
    assert mail.reply_token("other.example", envelope=["reply+tok_9@other.example"]) == "tok_9"


def test_headers_with_comments_and_odd_shapes():
    raw = crlf("""From: "Yamada, Taro" <taro@example.jp>
Reply-To: Sales Team <sales@example.jp>
To: undisclosed-recipients:;
Subject: odd
Message-ID: taro-no-brackets@example.jp
In-Reply-To: <cxbot.1@cx.example> (Support's message of Tue, 24 Nov 2026)
References: <a@x>
 <b@x>
  <a@x>
Date: not a date

hi
""")
    mail = parse(raw)
    assert mail.from_name == "Yamada, Taro" and mail.from_addr == "taro@example.jp"
    assert mail.reply_to == "sales@example.jp" and mail.sender == "sales@example.jp"
    assert mail.to == []
    assert mail.message_id == "taro-no-brackets@example.jp"
    assert mail.in_reply_to == "cxbot.1@cx.example"
    assert mail.references == ["a@x", "b@x"]
    assert mail.date is None
    assert mail.header("subject") == "odd"


@pytest.mark.parametrize("raw", [
    b"",
    b"garbage without headers",
    b"From: \r\nTo: @@@\r\nSubject: =?bogus?Q?=ZZ?=\r\nContent-Type: multipart/mixed\r\n\r\nno boundary here\r\n",
    b"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain; charset=\"\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--x",
    b"Subject: \xff\xfe\x00bad\r\nFrom: \xe3\x81\x82 <a@b.c>\r\n\r\n\xff\xfe body",
])
def test_broken_input_never_raises(raw):
    mail = parse(raw)
    assert isinstance(mail.text, str) and isinstance(mail.new_text, str)
    assert mail.message_id
