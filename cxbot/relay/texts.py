"""What people read in CX Talk rooms, rendered from templates/bot/<locale>/relay/.

The relay's English failure details stay in the log; people get a template text in
the UI language (`reason_text`), with the platform's own code in brackets.
"""

from __future__ import annotations

import unicodedata

from cxbot import channels
from cxbot.context import Context

# Room titles show in a narrow list in LINE WORKS: the customer's name first, then the
# channel and counter account, each cut to a display width (a CJK character counts 2).
TITLE_CUSTOMER_WIDTH = 24
TITLE_ACCOUNT_WIDTH = 16


def party(ctx: Context, kind: str) -> str:
    """How the person on the other side is called: お客様, or 社員 for an inquiry bot's member."""
    return ctx.texts.render("relay/party", kind=kind)


def channel_title(ctx: Context, kind: str) -> str:
    """The channel's name for people: LINE公式アカウント, メール, LINE WORKS内Bot."""
    return ctx.texts.label(channels.get(kind).title)


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` display columns, ending in … when cut; whitespace runs become one space."""
    text = " ".join((text or "").split())
    if sum(_width(ch) for ch in text) <= width:
        return text
    out, used = [], 1  # the ellipsis takes a column
    for ch in text:
        used += _width(ch)
        if used > width:
            break
        out.append(ch)
    return "".join(out).rstrip() + "…"


def room_title(ctx: Context, kind: str, customer: str, account: str) -> str:
    return ctx.texts.render("relay/room_title", kind=kind, customer=shorten(customer, TITLE_CUSTOMER_WIDTH),
                            account=shorten(account, TITLE_ACCOUNT_WIDTH))


def reason_text(ctx: Context, reason: str, code: str = "", kind: str = "") -> str:
    """A failure's reason for people (see outbox.Failure.reason), with the platform's code."""
    return ctx.texts.render("relay/reason", reason=reason, code=code, party=party(ctx, kind) if kind else "")
