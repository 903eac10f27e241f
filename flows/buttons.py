"""How a step is shown: its text with its buttons, as a LINE WORKS button (or list) template.

Buttons are LINE WORKS *message* actions (postback actions are not allowed in button
templates) whose postback is `f:<nonce>:<action>[:<arg>]`. The nonce changes every time
a step is shown, so a button pressed on an older message is recognised and ignored.
Every step ends with [戻る] and [キャンセル].
"""

from __future__ import annotations

from cxbot.works import messages as m
from flows.steps import Step, Turn

MAX_ACTIONS = 10  # LINE WORKS: a button template has at most 10 actions


def postback(nonce: str, action: str) -> str:
    return f"f:{nonce}:{action}"


def parse_postback(data: str | None) -> tuple[str, str, str] | None:
    """(nonce, action, arg) of a flow button, or None for anything else."""
    if not data or not data.startswith("f:"):
        return None
    parts = data.split(":", 3)
    if len(parts) < 3:
        return None
    return parts[1], parts[2], parts[3] if len(parts) > 3 else ""


def _shown(turn: Turn, step: Step):
    return [b for b in step.buttons if b.when is None or b.when(turn)]


def _actions(turn: Turn, step: Step, nonce: str, form_url: str | None) -> list[dict]:
    t = turn.texts
    actions = []
    for b in _shown(turn, step):
        if step.layout == "list":
            label = t.label(f"{b.label}_short")
        else:
            label = (b.text(turn) if b.text else t.label(b.label))[:20]
        if b.copy is not None:
            actions.append(m.copy_action(label, b.copy(turn)))
        elif b.uri is not None:
            actions.append(m.uri_action(label, b.uri(turn)))
        else:
            actions.append(m.message_action(label, postback=postback(nonce, b.action or b.label)))
    if form_url:
        actions.append(m.uri_action(t.label("form_input"), form_url))
    # Every step has a way back: the previous step, the place a Goto came from, or the menu.
    actions.append(m.message_action(t.label("back"), postback=postback(nonce, "back")))
    actions.append(m.message_action(t.label("cancel"), postback=postback(nonce, "cancel")))
    return actions[:MAX_ACTIONS]


def step_message(turn: Turn, step: Step, text: str, nonce: str, form_url: str | None) -> list[dict]:
    """The messages that show `step` with `text`; `form_url` adds [フォームで入力]."""
    actions = _actions(turn, step, nonce, form_url)
    if step.layout != "list":
        return [m.button_template(text[:1000], actions)]
    shown = _shown(turn, step)
    elements = [m.list_element(turn.texts.label(b.label), action=a) for b, a in zip(shown, actions)]
    rest = actions[len(shown):]
    return [m.text(text[:2000]),
            m.list_template(elements, actions=[rest[i:i + 2] for i in range(0, len(rest), 2)])]
