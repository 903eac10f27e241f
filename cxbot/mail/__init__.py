"""Email for cxbot: parse inbound mail, compose threaded replies, send them over
SMTP, and receive mail with a small built-in SMTP server.

    parse.parse(raw) -> ParsedMail               what a mail says, who it is for, is it a machine
    compose.reply(...) -> EmailMessage           an agent's answer, threaded
    compose.is_own_message_id(mid, domain)       our own mail coming back (a loop)
    smtp.parse_smtp_url(url) / smtp.send(...)    CXBOT_SMTP_URL
    receiver.SmtpReceiver(listen, domains, on_mail)   CXBOT_SMTP_LISTEN

Only the standard library and aiosmtpd; no database, no Flask.
"""

from .compose import is_own_message_id, reply, reply_subject
from .parse import Attachment, GmailForwardingConfirmation, ParsedMail, parse
from .receiver import SmtpReceiver
from .smtp import MailSendError, SmtpTarget, SmtpUrlError, parse_smtp_url, send

__all__ = [
    "Attachment", "GmailForwardingConfirmation", "MailSendError", "ParsedMail", "SmtpReceiver", "SmtpTarget",
    "SmtpUrlError", "is_own_message_id", "parse", "parse_smtp_url", "reply", "reply_subject", "send",
]
