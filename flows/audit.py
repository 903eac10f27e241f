"""履歴: the audit log told as sentences, newest first, ten a page with [次へ] / [前へ].

Each entry reads "when — who did what to which channel of which counter account";
names come from the entry's facts and the users API, never an internal id.
"""

from __future__ import annotations

import time

from cxbot import channels
from cxbot.desk import admins, audit
from flows.steps import Button, Flow, Step, Turn, register

ENTRY_MAX = 180  # ten entries and the heading stay well inside a 2,000-character message


def _who(turn: Turn, actor: str, names: dict[str, str]) -> str:
    if actor not in names:
        user = admins.lookup_user(turn.ctx, actor) if actor else None
        names[actor] = admins.person_name(user) if user else ""
    return names[actor]


def _when(at: float) -> str:
    local = time.localtime(at)
    same_year = local.tm_year == time.localtime().tm_year
    return time.strftime("%m/%d %H:%M" if same_year else "%Y/%m/%d %H:%M", local)


def enter_page(turn: Turn):
    page = int(turn.data.get("page", 0))
    total = audit.count(turn.ctx)
    names: dict[str, str] = {}
    lines = []
    for entry in audit.recent(turn.ctx, audit.PAGE_SIZE, page * audit.PAGE_SIZE):
        facts = audit.facts(entry)
        kind = facts.get("kind") or (entry.action.split(".")[1] if entry.action.startswith("link.") else "")
        lines.append(turn.render(
            "audit_entry", when=_when(entry.at), who=_who(turn, entry.actor, names),
            area=entry.action.split(".")[0], action=entry.action.rsplit(".", 1)[-1],
            account=entry.target, channel=turn.texts.label(channels.get(kind).title) if kind else "",
            **facts)[:ENTRY_MAX])
    turn.data.update(entries=lines, page=page, total=total, first=page * audit.PAGE_SIZE + 1,
                     last=page * audit.PAGE_SIZE + len(lines),
                     more=(page + 1) * audit.PAGE_SIZE < total)
    # The page is its own message (up to 2,000 characters); the buttons' text is kept short.
    turn.say("audit_page")
    return None


def next_page(turn: Turn, _arg: str):
    turn.data["page"] = int(turn.data.get("page", 0)) + 1
    return None


def previous_page(turn: Turn, _arg: str):
    turn.data["page"] = max(0, int(turn.data.get("page", 0)) - 1)
    return None


register(Flow("audit", "audit_log", cancel="closed", steps=(
    Step("page", "audit_nav", enter=enter_page,
         buttons=(Button("next", action="next", when=lambda t: bool(t.data.get("more"))),
                  Button("previous", action="previous", when=lambda t: int(t.data.get("page", 0)) > 0)),
         on={"next": next_page, "previous": previous_page}),
)))
