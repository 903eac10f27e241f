"""The channels a counter account links (LINE公式アカウント, メール, LINE WORKS内Bot), each described once.

This module holds what every layer may need to know of a channel: its one spelling, its
webhook path, its setup flow, the label that names it. It imports nothing of cxbot, so
any layer may read it; the code that relays each channel is bound to these entries in
`cxbot.relay.channels`, its webhook receiver in `cxbot.web.webhooks`.

A new channel is one `Channel` here, added to `ALL`, plus its modules (a relay module, a
webhook receiver, a setup flow, its texts); tests/test_channels.py says which are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, TypeVar


@dataclass(frozen=True)
class Channel:
    # The one spelling: a link's, contact's and conversation's kind, and the inbox source
    # of its webhook events.
    kind: str
    # /webhooks/<webhook_path>/<token>. Platforms hold these URLs, so a path never changes.
    webhook_path: str
    title: str  # key in labels.toml naming the channel to people
    setup_flow: str  # the flow [設定] starts
    # The outbox action of an answer to the customer. Stored in rows that may outlive a
    # release, and every drainer takes every action: an existing name is never changed.
    answer_action: str
    # While unlinked, the customer's message gets the link's out-of-service reply (not mail,
    # whose automatic answers would be backscatter).
    answers_while_unlinked: bool = False
    # During a surge (customers wait over a minute for a room), a new conversation's first
    # message gets the link's busy notice: LINE through the free reply token, mail as one
    # auto-reply. An inquiry bot's employee sees the bot's own room and needs none.
    busy_notice: bool = False
    # Its conversations get a reply+<token> address that threads the customer's replies.
    reply_address: bool = False
    # The key, among the link's secrets, of the one the platform signs its webhooks with.
    signing_secret: str = ""
    # The setup flow whose Webhook URL the platform may call, signed, before the link is saved.
    verify_flow: str = ""

    @property
    def verify_source(self) -> str:
        """The inbox source of notes on the platform's signed requests (cxbot.hub.verification)."""
        return f"{self.kind}_verify"


LINE = Channel("line", webhook_path="line", title="channel_line", setup_flow="line_setup", answer_action="line_push",
               answers_while_unlinked=True, busy_notice=True, signing_secret="channel_secret", verify_flow="line_setup")
MAIL = Channel("mail", webhook_path="mail", title="channel_mail", setup_flow="mail_setup", answer_action="mail_send",
               reply_address=True, busy_notice=True)
WORKS_BOT = Channel("works_bot", webhook_path="works", title="channel_works_bot", setup_flow="works_bot_choose",
                    answer_action="works_send", answers_while_unlinked=True, signing_secret="bot_secret",
                    verify_flow="works_console")

ALL = (LINE, MAIL, WORKS_BOT)  # in the order the channel menu lists them
KINDS = tuple(channel.kind for channel in ALL)
_BY_KIND = {channel.kind: channel for channel in ALL}


def get(kind: str) -> Channel:
    """The channel of a kind; KeyError for one that is not a channel."""
    return _BY_KIND[kind]


# Inbox sources as rows stored before each channel had one spelling carry them: such rows
# (in the table, or in a SQLite spool file) are handled as the name they map to.
STORED_BEFORE = {
    "works": WORKS_BOT.kind,  # LINE WORKS bot callbacks; also the `kind` in a works_verify note
    "works_verify": WORKS_BOT.verify_source,  # notes on a console bot's signed callbacks
}

T = TypeVar("T")


def current(stored: str) -> str:
    """The name of today for one a stored row carries."""
    return STORED_BEFORE.get(stored, stored)


def with_stored_names(by_source: Mapping[str, T]) -> dict[str, T]:
    """A table keyed by inbox source, answering the older names of its sources too."""
    return {**by_source, **{old: by_source[new] for old, new in STORED_BEFORE.items() if new in by_source}}
