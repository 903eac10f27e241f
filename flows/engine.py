"""A small flow engine for the admin's setup conversations.

A flow is a readable table of `Step`s (prompt template, the answer it expects, a
validator, what comes next, its buttons). The engine gives every step the same
[戻る] and [キャンセル], a timeout, stale-button detection and persistence:
state lives in the database per admin, so a restart or another worker process
continues the same conversation.

Buttons are LINE WORKS *message* actions (postback actions are not allowed in
button templates) whose postback is `f:<nonce>:<action>[:<arg>]`. The nonce
changes every time a step is shown, so a button pressed on an older message is
recognised and ignored.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field as dc_field
from typing import Any, Callable, Union

from sqlmodel import select

from cxbot.context import Context
from cxbot.models import FlowState
from cxbot.works import messages as m

log = logging.getLogger(__name__)

END = "__end__"
CANCEL_WORDS = {"キャンセル", "cancel", "やめる", "中止"}


class Invalid(Exception):
    """A validator's refusal: the step is shown again with this message."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params
        super().__init__(key)


@dataclass(frozen=True)
class Goto:
    """Continue in another flow (e.g. from the channel menu into a setup flow)."""

    flow: str
    step: str | None = None
    data: dict = dc_field(default_factory=dict)


Next = Union[str, Goto, None]  # a step name, END, a Goto, or None to show the same step again
Handler = Callable[["Turn", str], Next]


@dataclass(frozen=True)
class Button:
    label: str  # key in labels.toml
    action: str | None = None  # → Step.on[action]; may carry an argument as "action:arg"
    copy: Callable[["Turn"], str] | None = None  # a copy action: the text to copy
    uri: Callable[["Turn"], str] | None = None  # a link
    when: Callable[["Turn"], bool] | None = None  # shown only when true
    text: Callable[["Turn"], str] | None = None  # a label computed at run time (names)


@dataclass(frozen=True)
class Attachment:
    kind: str  # image | file
    file_id: str


@dataclass(frozen=True)
class Step:
    name: str
    prompt: str  # template flows/<prompt>.txt, rendered with the flow's data
    field: str | None = None  # where a typed answer goes; None = buttons only
    validate: Callable[["Turn", str], Any] | None = None
    next: str | Callable[["Turn"], Next] | None = None  # after a valid answer
    buttons: tuple[Button, ...] = ()
    on: dict[str, Handler] = dc_field(default_factory=dict)
    secret: bool = False  # the answer is a credential: never echoed, may come from a one-time form
    accepts_file: Callable[["Turn", Attachment], Any] | None = None
    enter: Callable[["Turn"], Next] | None = None  # runs before the step is shown
    intro: str | None = None  # a plain text message sent before the prompt
    back: bool = True
    # "list" shows the buttons as a list template, for choices whose names exceed the
    # 20-character button label limit (each element: the full name, and a short button).
    layout: str = "buttons"


@dataclass(frozen=True)
class Flow:
    name: str
    title: str  # label key naming the flow to the admin
    steps: tuple[Step, ...]

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"flow {self.name} has no step {name!r}")


REGISTRY: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    names = [s.name for s in flow.steps]
    assert len(names) == len(set(names)), f"duplicate step names in {flow.name}"
    REGISTRY[flow.name] = flow
    return flow


@dataclass(frozen=True)
class Input:
    text: str | None = None
    postback: str | None = None
    attachment: Attachment | None = None


@dataclass
class Turn:
    """What a step's code sees: the app context, the admin, the flow's data; and what to send."""

    ctx: Context
    user_id: str
    flow: Flow
    data: dict
    outgoing: list[dict] = dc_field(default_factory=list)

    @property
    def texts(self):
        return self.ctx.texts

    def render(self, template: str, **extra) -> str:
        return self.texts.render(f"flows/{template}", **{**self.data, **extra})

    def say(self, template: str, **extra) -> None:
        self.outgoing.append(m.text(self.render(template, **extra)))

    def send(self, content: dict) -> None:
        self.outgoing.append(content)


def _postback(nonce: str, action: str) -> str:
    return f"f:{nonce}:{action}"


def parse_postback(data: str | None) -> tuple[str, str, str] | None:
    """(nonce, action, arg) of a flow button, or None for anything else."""
    if not data or not data.startswith("f:"):
        return None
    parts = data.split(":", 3)
    if len(parts) < 3:
        return None
    return parts[1], parts[2], parts[3] if len(parts) > 3 else ""


class Engine:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    # -- persistence -----------------------------------------------------------------

    def _load(self, user_id: str) -> FlowState | None:
        with self.ctx.db.read() as s:
            return s.get(FlowState, user_id)

    def _data(self, state: FlowState) -> dict:
        return json.loads(self.ctx.vault.decrypt(state.data_enc))

    def _save(self, state: FlowState, data: dict) -> None:
        now = time.time()
        state.data_enc = self.ctx.vault.encrypt(json.dumps(data, ensure_ascii=False))
        state.webhook_token = data.get("webhook_token")
        state.updated_at = now
        state.expires_at = now + self.ctx.settings.flow_timeout
        with self.ctx.db.session() as s:
            s.merge(state)

    def _drop(self, user_id: str) -> None:
        with self.ctx.db.session() as s:
            row = s.get(FlowState, user_id)
            if row is not None:
                s.delete(row)

    def active(self, user_id: str) -> FlowState | None:
        state = self._load(user_id)
        if state is not None and state.expires_at <= time.time():
            return None
        return state

    # -- entry points ----------------------------------------------------------------

    def start(self, user_id: str, flow_name: str, step: str | None = None, data: dict | None = None) -> list[dict]:
        """Start a flow; when another is in progress, ask first."""
        current = self.active(user_id)
        if current is not None and current.flow != flow_name:
            return self._ask_switch(current, Goto(flow_name, step, data or {}))
        return self._enter(user_id, Goto(flow_name, step, data or {}), history=[])

    def handle(self, user_id: str, inp: Input) -> list[dict] | None:
        """Messages to send, or None when no flow is concerned (the caller shows the menu)."""
        state = self._load(user_id)
        notes: list[dict] = []
        if state is not None and state.expires_at <= time.time():
            notes = self.expire(state)
            state = None
        pressed = parse_postback(inp.postback)
        if pressed is not None:
            nonce, action, arg = pressed
            if state is None or nonce != state.nonce:
                return notes + [m.text(self.ctx.texts.render("flows/stale_button"))]
            return notes + self._press(state, action, arg)
        if state is None:
            return notes or None
        if inp.text is not None and inp.text.strip().lower() in CANCEL_WORDS:
            return self._cancel(state)
        return self._answer(state, inp)

    def handle_form(self, user_id: str, flow: str, step: str, value: str) -> list[dict]:
        """An answer from a one-time form: taken only if the admin is still at that question."""
        state = self.active(user_id)
        if state is None or state.flow != flow or state.step != step:
            return [m.text(self.ctx.texts.render("flows/stale_form"))]
        return self._answer(state, Input(text=value))

    def expire(self, state: FlowState) -> list[dict]:
        """Drop a flow that timed out; the note to send the admin."""
        self._drop(state.user_id)
        flow = REGISTRY.get(state.flow)
        title = self.ctx.texts.label(flow.title) if flow else state.flow
        minutes = self.ctx.settings.flow_timeout // 60
        return [m.text(self.ctx.texts.render("flows/timed_out", title=title, minutes=minutes))]

    # -- transitions -----------------------------------------------------------------

    def _turn(self, state: FlowState) -> Turn:
        return Turn(self.ctx, state.user_id, REGISTRY[state.flow], self._data(state))

    def _press(self, state: FlowState, action: str, arg: str) -> list[dict]:
        turn = self._turn(state)
        if action == "cancel":
            return self._cancel(state)
        if action == "back":
            history = json.loads(state.history)
            if not history:
                return self._show(state, turn)
            previous = history.pop()
            state.history = json.dumps(history)
            state.step = previous
            return self._show(state, turn)
        if action == "switch" and state.pending_start:
            target = Goto(**json.loads(state.pending_start))
            self._drop(state.user_id)
            return self._enter(state.user_id, target, history=[])
        if action == "stay":
            state.pending_start = None
            return self._show(state, turn)
        step = turn.flow.step(state.step)
        handler = step.on.get(action)
        if handler is None:
            return [m.text(self.ctx.texts.render("flows/stale_button"))]
        try:
            nxt = handler(turn, arg)
        except Invalid as bad:
            return turn.outgoing + self._show(state, turn, error=bad)
        return self._go(state, turn, nxt)

    def _answer(self, state: FlowState, inp: Input) -> list[dict]:
        turn = self._turn(state)
        step = turn.flow.step(state.step)
        try:
            if inp.attachment is not None:
                if step.accepts_file is None:
                    raise Invalid("flows/error_no_file")
                value = step.accepts_file(turn, inp.attachment)
            elif step.field is None or inp.text is None:
                raise Invalid("flows/error_use_buttons")
            else:
                raw = inp.text.strip()
                value = step.validate(turn, raw) if step.validate else raw
        except Invalid as bad:
            return turn.outgoing + self._show(state, turn, error=bad)
        if step.field:
            turn.data[step.field] = value
        nxt = step.next(turn) if callable(step.next) else step.next
        return self._go(state, turn, nxt)

    def _go(self, state: FlowState, turn: Turn, nxt: Next) -> list[dict]:
        if nxt == END:
            self._drop(state.user_id)
            return turn.outgoing
        if isinstance(nxt, Goto):
            sent = turn.outgoing
            self._drop(state.user_id)
            return sent + self._enter(state.user_id, nxt, history=[])
        if nxt is not None and nxt != state.step:
            history = json.loads(state.history)
            if nxt in history:
                # Returning to a step already visited (e.g. a confirmation back to its screen):
                # [戻る] from there should go where it went before, not into the confirmation.
                history = history[: history.index(nxt)]
            else:
                history.append(state.step)
            state.history = json.dumps(history[-20:])
            state.step = nxt
        return turn.outgoing + self._show(state, turn)

    def _enter(self, user_id: str, target: Goto, history: list[str]) -> list[dict]:
        flow = REGISTRY[target.flow]
        now = time.time()
        state = FlowState(user_id=user_id, flow=flow.name, step=target.step or flow.steps[0].name,
                          data_enc="", history=json.dumps(history), nonce="", started_at=now,
                          updated_at=now, expires_at=now)
        turn = Turn(self.ctx, user_id, flow, dict(target.data))
        return self._show(state, turn)

    def _show(self, state: FlowState, turn: Turn, error: Invalid | None = None) -> list[dict]:
        step = turn.flow.step(state.step)
        if step.enter is not None and error is None:
            nxt = step.enter(turn)
            if nxt is not None and nxt != state.step:
                return self._go(state, turn, nxt)
        state.nonce = secrets.token_hex(4)
        self._save(state, turn.data)
        out = list(turn.outgoing)
        turn.outgoing.clear()
        if step.intro and error is None:
            out.append(m.text(turn.render(step.intro)))
        text = turn.render(step.prompt)
        if error is not None:
            text = self.ctx.texts.render(error.key if "/" in error.key else f"flows/{error.key}",
                                         **error.params) + "\n\n" + text
        actions = self._actions(state, turn, step)
        if step.layout == "list":
            out.append(m.text(text[:2000]))
            out.append(self._as_list(turn, step, actions))
        else:
            out.append(m.button_template(text[:1000], actions))
        return out

    def _as_list(self, turn: Turn, step: Step, actions: list[dict]) -> dict:
        t = self.ctx.texts
        shown = [b for b in step.buttons if b.when is None or b.when(turn)]
        elements = [m.list_element(t.label(b.label), action=a) for b, a in zip(shown, actions)]
        rest = actions[len(shown):]
        return m.list_template(elements, actions=[rest[i:i + 2] for i in range(0, len(rest), 2)])

    def _actions(self, state: FlowState, turn: Turn, step: Step) -> list[dict]:
        t = self.ctx.texts
        actions = []
        for b in step.buttons:
            if b.when is not None and not b.when(turn):
                continue
            if step.layout == "list":
                label = t.label(f"{b.label}_short")
            else:
                label = (b.text(turn) if b.text else t.label(b.label))[:20]
            if b.copy is not None:
                actions.append(m.copy_action(label, b.copy(turn)))
            elif b.uri is not None:
                actions.append(m.uri_action(label, b.uri(turn)))
            else:
                actions.append(m.message_action(label, postback=_postback(state.nonce, b.action or b.label)))
        if step.secret:
            from cxbot.forms import issue

            actions.append(m.uri_action(t.label("form_input"), issue(self.ctx, state.user_id, state.flow, step.name)))
        if step.back and json.loads(state.history):
            actions.append(m.message_action(t.label("back"), postback=_postback(state.nonce, "back")))
        actions.append(m.message_action(t.label("cancel"), postback=_postback(state.nonce, "cancel")))
        return actions[:10]

    def _cancel(self, state: FlowState) -> list[dict]:
        self._drop(state.user_id)
        flow = REGISTRY.get(state.flow)
        title = self.ctx.texts.label(flow.title) if flow else state.flow
        return [m.text(self.ctx.texts.render("flows/cancelled", title=title))]

    def _ask_switch(self, current: FlowState, target: Goto) -> list[dict]:
        t = self.ctx.texts
        current.pending_start = json.dumps({"flow": target.flow, "step": target.step, "data": target.data},
                                           ensure_ascii=False)
        current.nonce = secrets.token_hex(4)
        data = self._data(current)
        self._save(current, data)
        text = t.render("flows/confirm_switch", current=t.label(REGISTRY[current.flow].title),
                        new=t.label(REGISTRY[target.flow].title))
        return [m.button_template(text, [
            m.message_action(t.label("switch_yes"), postback=_postback(current.nonce, "switch")),
            m.message_action(t.label("switch_no"), postback=_postback(current.nonce, "stay")),
        ])]


def expire_due(ctx: Context) -> int:
    """Scheduler job: tell admins whose flow timed out, and drop it. Returns how many."""
    engine = Engine(ctx)
    with ctx.db.session() as s:
        due = list(s.exec(select(FlowState).where(FlowState.expires_at <= time.time())))
    for state in due:
        for content in engine.expire(state):
            ctx.works.send_to_user(ctx.settings.works_bot_id, state.user_id, content)
    return len(due)
