"""Email for cxbot: parse inbound mail, compose threaded replies, send them over
SMTP, and receive mail with a small built-in SMTP server.

    parse.parse(raw) -> ParsedMail               what a mail says, who it is for, is it a machine
    compose.reply(...) -> EmailMessage           an agent's answer, threaded
    compose.is_own_message_id(mid, domain)       our own mail coming back (a loop)
    smtp.parse_smtp_url(url) / smtp.send(...)    CXBOT_SMTP_URL
    receiver.SmtpReceiver(listen, domains, on_mail)   CXBOT_SMTP_LISTEN

What parse reads with: charsets.py (bytes to text, never crashing), headers.py (header
values, addresses, Message-IDs), body.py (the MIME tree: text, HTML, attachments),
flowed.py, html_text.py, quotes.py (the reply without its quoted history), machine.py
(bounces, auto-replies, lists), gmail.py (Gmail's forwarding confirmation).

A platform client at the bottom: only the standard library and aiosmtpd; nothing of
cxbot, no database, no Flask.
"""

from .body import Attachment
from .compose import is_own_message_id, reply, reply_subject
from .gmail import GmailForwardingConfirmation
from .parse import ParsedMail, parse
from .receiver import SmtpReceiver
from .smtp import MailSendError, SmtpTarget, SmtpUrlError, parse_smtp_url, send

__all__ = [
    "Attachment", "GmailForwardingConfirmation", "MailSendError", "ParsedMail", "SmtpReceiver", "SmtpTarget",
    "SmtpUrlError", "is_own_message_id", "parse", "parse_smtp_url", "reply", "reply_subject", "send",
]
