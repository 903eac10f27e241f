"""The flow engine: runs the admin's setup conversations, each a table of steps
(flows/steps.py).

The engine gives every step the same [戻る] and [キャンセル], a timeout, stale-button
detection and persistence: state lives in the database per admin, so a restart or
another worker process continues the same conversation. [戻る] goes to the previous
step; on a flow's first step, to the place a Goto came from (the channel menu), and
on the first step of all, to the main menu. How a step looks (its buttons, and
how an older message's button is recognised) is flows/buttons.py.

Answers come from the chat (`handle`), from a one-time form (`handle_form`), and
from outside events a step listens for (`notify`: LINE's Verify request arrived).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Callable

from sqlmodel import select

from cxbot.context import Context
from cxbot.desk import secret_forms
from cxbot.storage.models import FlowState
from cxbot.works import messages as m
from flows.buttons import parse_postback, postback, step_message
from flows.steps import (
    CALLER,
    END,
    QUIET,
    REGISTRY,
    Attachment,
    Flow,
    Goto,
    Input,
    Invalid,
    Next,
    Step,
    Turn,
    register,
)

__all__ = ["END", "QUIET", "Attachment", "Engine", "Flow", "Goto", "Input", "Invalid", "Step", "Turn",
           "expire_due", "parse_postback", "register"]

log = logging.getLogger(__name__)

CANCEL_WORDS = {"キャンセル", "cancel", "やめる", "中止"}


def _first_step(flow_name: str, step: str | None) -> str:
    return step or REGISTRY[flow_name].steps[0].name


def _remembered(data: dict, target: Goto) -> dict | None:
    """The place on the way here that `target` names, if a Goto remembered it."""
    frame = data.get(CALLER)
    while frame:
        if frame["flow"] == target.flow and frame["step"] == _first_step(target.flow, target.step):
            return frame
        frame = frame["data"].get(CALLER)
    return None


def _drain(turn: Turn) -> list[dict]:
    out = list(turn.outgoing)
    turn.outgoing.clear()
    return out


class Engine:
    def __init__(self, ctx: Context, domain_id: int | None = None):
        self.ctx = ctx
        self.domain_id = domain_id  # the admin's LINE WORKS domain, when known (Turn.domain_id)

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

    def _at(self, user_id: str, flow: str, step: str) -> FlowState | None:
        state = self.active(user_id)
        if state is None or state.flow != flow or state.step != step:
            return None
        return state

    # -- entry points ----------------------------------------------------------------

    def start(self, user_id: str, flow_name: str, step: str | None = None, data: dict | None = None) -> list[dict]:
        """Start a flow; when another one would lose what was typed in it, ask first. From a
        menu step (nothing pending) the new flow takes its place, and [戻る] returns there."""
        target = Goto(flow_name, step, data or {})
        current = self.active(user_id)
        if current is None or current.flow == flow_name:
            return self._enter(user_id, target, caller=None)
        flow = REGISTRY.get(current.flow)
        if flow is None or flow.cancel_at(current.step) == "cancelled":
            return self._ask_switch(current, target)
        return self._enter(user_id, target, caller=self._frame(current, self._data(current)))

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
            out = self._press(state, action, arg)
            return None if out is None else notes + out
        if state is None:
            return notes or None
        if inp.text is not None and inp.text.strip().lower() in CANCEL_WORDS:
            return self._cancel(state)
        return self._answer(state, inp)

    def handle_form(self, user_id: str, flow: str, step: str, value: str) -> tuple[bool, list[dict]]:
        """An answer from a one-time form: (taken, messages for the chat). Taken only if the
        admin is still at that question and the step's check accepts the value."""
        state = self._at(user_id, flow, step)
        if state is None:
            return False, [m.text(self.ctx.texts.render("flows/stale_form"))]
        turn = self._turn(state)
        try:
            nxt = self._take(turn, turn.flow.step(step), Input(text=value))
        except Invalid as bad:
            return False, self._show(state, turn, error=bad)
        return True, self._go(state, turn, nxt)

    def form_question(self, user_id: str, flow: str, step: str) -> Step | None:
        """The secret step a form answers, while the admin is at it."""
        state = self._at(user_id, flow, step)
        if state is None:
            return None
        question = REGISTRY[flow].step(step)
        return question if question.secret else None

    def form_problem(self, user_id: str, flow: str, step: str, value: str) -> str | None:
        """What the chat would say about this answer (the step's own check), or None if it takes it."""
        state = self._at(user_id, flow, step)
        question = REGISTRY[flow].step(step)
        if state is None or question.validate is None:
            return None
        try:
            question.validate(self._turn(state), value.strip())
        except Invalid as bad:
            return self._error_text(bad)
        return None

    def notify(self, user_id: str, flow: str, event: str, arg: str = "") -> list[dict] | None:
        """Something outside the chat happened for this admin's `flow` (LINE's Verify request
        arrived, ...): the handler the current step has for `event` runs as a button press
        would, and the step is shown again. None when the admin is not at a step that
        listens for it: the caller tells them in plain words."""
        state = self.active(user_id)
        if state is None or state.flow != flow:
            return None
        turn = self._turn(state)
        handler = turn.flow.step(state.step).events.get(event)
        if handler is None:
            return None
        return self._advance(state, turn, lambda: handler(turn, arg))

    def expire(self, state: FlowState) -> list[dict]:
        """Drop a flow that timed out; the note to send the admin."""
        self._drop(state.user_id)
        flow = REGISTRY.get(state.flow)
        title = self.ctx.texts.label(flow.title_at(state.step)) if flow else state.flow
        unsaved = flow is None or flow.cancel_at(state.step) == "cancelled"
        minutes = self.ctx.settings.flow_timeout // 60
        return [m.text(self.ctx.texts.render("flows/timed_out", title=title, minutes=minutes, unsaved=unsaved))]

    # -- transitions -----------------------------------------------------------------

    def _turn(self, state: FlowState) -> Turn:
        return Turn(self.ctx, state.user_id, REGISTRY[state.flow], self._data(state), domain_id=self.domain_id)

    def _press(self, state: FlowState, action: str, arg: str) -> list[dict] | None:
        turn = self._turn(state)
        if action == "cancel":
            return self._cancel(state)
        if action == "back":
            return self._back(state, turn)
        if action == "switch" and state.pending_start:
            target = Goto(**json.loads(state.pending_start))
            self._drop(state.user_id)
            return self._enter(state.user_id, target, caller=None)
        if action == "stay":
            state.pending_start = None
            return self._show(state, turn)
        step = turn.flow.step(state.step)
        handler = step.on.get(action)
        if handler is None:
            return [m.text(self.ctx.texts.render("flows/stale_button"))]
        return self._advance(state, turn, lambda: handler(turn, arg))

    def _back(self, state: FlowState, turn: Turn) -> list[dict] | None:
        step = turn.flow.step(state.step)
        if step.back is not None:
            return self._go(state, turn, step.back(turn))
        history = json.loads(state.history)
        if history:
            state.step = history.pop()
            state.history = json.dumps(history)
            return self._show(state, turn, arrived=True)
        caller = turn.data.get(CALLER)
        if caller:
            return self._resume(state.user_id, caller, {})
        self._drop(state.user_id)
        return None  # back from the first step of all: the main menu

    def _take(self, turn: Turn, step: Step, inp: Input) -> Next:
        """Check an answer and keep it; where to go next. Raises Invalid."""
        if inp.attachment is not None:
            if step.accepts_file is None:
                raise Invalid("error_no_file")
            value = step.accepts_file(turn, inp.attachment)
        elif step.field is None or inp.text is None:
            raise Invalid("error_use_buttons")
        else:
            raw = inp.text.strip()
            value = step.validate(turn, raw) if step.validate else raw
        if step.field:
            turn.data[step.field] = value
        return step.next(turn) if callable(step.next) else step.next

    def _answer(self, state: FlowState, inp: Input) -> list[dict]:
        turn = self._turn(state)
        return self._advance(state, turn, lambda: self._take(turn, turn.flow.step(state.step), inp))

    def _advance(self, state: FlowState, turn: Turn, answer: Callable[[], Next]) -> list[dict]:
        """Go where the step's code says; a refusal (Invalid) shows the step again with its message."""
        try:
            nxt = answer()
        except Invalid as bad:
            return self._show(state, turn, error=bad)
        return self._go(state, turn, nxt)

    def _go(self, state: FlowState, turn: Turn, nxt: Next) -> list[dict]:
        if nxt == QUIET:
            return _drain(turn)
        if nxt == END:
            self._drop(state.user_id)
            return _drain(turn)
        if isinstance(nxt, Goto):
            sent = _drain(turn)
            frame = _remembered(turn.data, nxt)
            if frame is not None:
                return sent + self._resume(state.user_id, frame, nxt.data)
            caller = self._frame(state, turn.data) if nxt.back else None
            return sent + self._enter(state.user_id, nxt, caller=caller)
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
            return self._show(state, turn, arrived=True)
        return self._show(state, turn)

    def _frame(self, state: FlowState, data: dict) -> dict:
        """A place to come back to: the flow, its step, its history and data."""
        return {"flow": state.flow, "step": state.step, "history": json.loads(state.history), "data": data}

    def _new_state(self, user_id: str, flow: str, step: str, history: list[str]) -> FlowState:
        now = time.time()
        return FlowState(user_id=user_id, flow=flow, step=step, data_enc="", history=json.dumps(history),
                         nonce="", started_at=now, updated_at=now, expires_at=now)

    def _enter(self, user_id: str, target: Goto, caller: dict | None) -> list[dict]:
        flow = REGISTRY[target.flow]
        data = dict(target.data)
        if caller is not None:
            data[CALLER] = caller
        state = self._new_state(user_id, flow.name, _first_step(flow.name, target.step), [])
        return self._show(state, Turn(self.ctx, user_id, flow, data, domain_id=self.domain_id), arrived=True)

    def _resume(self, user_id: str, frame: dict, updates: dict) -> list[dict]:
        """Back to a remembered place, with the history it had."""
        flow = REGISTRY[frame["flow"]]
        state = self._new_state(user_id, flow.name, frame["step"], frame["history"])
        return self._show(state, Turn(self.ctx, user_id, flow, {**frame["data"], **updates}, domain_id=self.domain_id),
                          arrived=True)

    def _error_text(self, bad: Invalid) -> str:
        return self.ctx.texts.render(bad.template(), **bad.params)

    def _show(self, state: FlowState, turn: Turn, error: Invalid | None = None, arrived: bool = False) -> list[dict]:
        step = turn.flow.step(state.step)
        if step.enter is not None and error is None:
            nxt = step.enter(turn)
            if nxt is not None and nxt != state.step:
                return self._go(state, turn, nxt)
        state.nonce = secrets.token_hex(4)
        self._save(state, turn.data)
        out = _drain(turn)
        if step.intro and arrived:
            out.append(m.text(turn.render(step.intro)))
        text = turn.render(step.prompt)
        if error is not None:
            text = self._error_text(error) + "\n\n" + text
        form = secret_forms.issue(self.ctx, state.user_id, state.flow, step.name) if step.secret else None
        out += step_message(turn, step, text, state.nonce, form)
        return out

    def _cancel(self, state: FlowState) -> list[dict]:
        self._drop(state.user_id)
        flow = REGISTRY.get(state.flow)
        if flow is None:
            return [m.text(self.ctx.texts.render("flows/cancelled", title=state.flow))]
        data = self._data(state)
        return [m.text(self.ctx.texts.render(f"flows/{flow.cancel_at(state.step)}",
                                             **{**data, "title": self.ctx.texts.label(flow.title_at(state.step))}))]

    def _ask_switch(self, current: FlowState, target: Goto) -> list[dict]:
        t = self.ctx.texts
        current.pending_start = json.dumps({"flow": target.flow, "step": target.step, "data": target.data},
                                           ensure_ascii=False)
        current.nonce = secrets.token_hex(4)
        data = self._data(current)
        self._save(current, data)
        new = REGISTRY[target.flow]
        text = t.render("flows/confirm_switch", current=t.label(REGISTRY[current.flow].title_at(current.step)),
                        new=t.label(new.title_at(_first_step(new.name, target.step))))
        return [m.button_template(text, [
            m.message_action(t.label("switch_yes"), postback=postback(current.nonce, "switch")),
            m.message_action(t.label("switch_no"), postback=postback(current.nonce, "stay")),
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
