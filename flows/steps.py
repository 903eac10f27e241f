"""What a flow is made of: a table of `Step`s, their `Button`s, and where each goes next.

The engine (flows/engine.py) runs these tables; flow modules only declare them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Callable, Union

from cxbot.context import Context
from cxbot.works import messages as m

END = "__end__"
# A handler's answer when nothing changed: the step is not shown again (e.g. a second
# "Success" from LINE for a Webhook URL already confirmed).
QUIET = "__quiet__"
CALLER = "_caller"  # key in a flow's data: the place a Goto left (see Goto)


class Invalid(Exception):
    """A validator's refusal: the step is shown again with this message."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params
        super().__init__(key)

    def template(self) -> str:
        return self.key if "/" in self.key else f"flows/{self.key}"


def within(raw: str, limit: int, empty: str, too_long: str) -> str:
    """A typed answer that is not empty and at most `limit` characters, else refused with the
    template `empty` or `too_long` (which gets `limit` and `length`)."""
    if not raw:
        raise Invalid(empty)
    if len(raw) > limit:
        raise Invalid(too_long, limit=limit, length=len(raw))
    return raw


@dataclass(frozen=True)
class Goto:
    """Continue in another flow, e.g. from the channel menu into a setup flow.

    With `back` the place left is remembered: [戻る] on the first step of the new flow
    returns there. A Goto to a place remembered that way (the setup saved, back to the
    channel menu) resumes it with its own history, so [戻る] goes on from there.
    """

    flow: str
    step: str | None = None
    data: dict = dc_field(default_factory=dict)
    back: bool = True


Next = Union[str, Goto, None]  # a step name, END, QUIET, a Goto, or None to show the same step again
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
    # Checks a typed answer and returns the value to keep. On a `secret` step it looks at
    # nothing but the value: the one-time form's page runs it too, to answer at once.
    validate: Callable[["Turn", str], Any] | None = None
    next: str | Callable[["Turn"], Next] | None = None  # after a valid answer
    buttons: tuple[Button, ...] = ()
    on: dict[str, Handler] = dc_field(default_factory=dict)
    # Things that happen outside the chat while the admin is at this step (LINE's Verify
    # request arrived, a bot's callback was signed right or wrong): Engine.notify runs them.
    events: dict[str, Handler] = dc_field(default_factory=dict)
    # The answer is a credential, named by this label key: never echoed, may come from a
    # one-time form whose page names it.
    secret: str = ""
    accepts_file: Callable[["Turn", Attachment], Any] | None = None
    enter: Callable[["Turn"], Next] | None = None  # runs before the step is shown
    intro: str | None = None  # a plain text message sent when the admin arrives at the step
    # Where [戻る] goes when it is not simply the previous step (e.g. after [公開] the bot
    # exists: back is the channel menu, not the review that would create it again).
    back: Callable[["Turn"], Next] | None = None
    # Said on [キャンセル] or a timeout here, instead of the flow's `cancel`.
    cancel: str | None = None
    title: str | None = None  # label naming what the admin is doing here, instead of the flow's
    # "list" shows the buttons as a list template, for choices whose names exceed the
    # 20-character button label limit (each element: the full name, and a short button).
    layout: str = "buttons"


@dataclass(frozen=True)
class Flow:
    name: str
    title: str  # label key naming the flow to the admin (cancel, timeout, switch)
    steps: tuple[Step, ...]
    # Template said on [キャンセル] or a timeout: "cancelled" (what was typed is not kept)
    # for setup flows; menus that keep nothing pending say "closed". A step that asks for
    # an answer (`field`) always counts as cancelled.
    cancel: str = "cancelled"

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"flow {self.name} has no step {name!r}")

    def title_at(self, step_name: str) -> str:
        try:
            return self.step(step_name).title or self.title
        except KeyError:
            return self.title

    def cancel_at(self, step_name: str) -> str:
        try:
            s = self.step(step_name)
        except KeyError:
            return self.cancel
        return s.cancel or ("cancelled" if s.field else self.cancel)


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
    # The LINE WORKS domain the admin wrote from (the callback's source.domainId).
    domain_id: int | None = None


@dataclass
class Turn:
    """What a step's code sees: the app context, the admin, the flow's data; and what to send."""

    ctx: Context
    user_id: str
    flow: Flow
    data: dict
    outgoing: list[dict] = dc_field(default_factory=list)
    domain_id: int | None = None  # the admin's, when this turn answers their message

    @property
    def texts(self):
        return self.ctx.texts

    def render(self, template: str, **extra) -> str:
        return self.texts.render(f"flows/{template}", **{**self.data, **extra})

    def say(self, template: str, **extra) -> None:
        self.outgoing.append(m.text(self.render(template, **extra)))

    def send(self, content: dict) -> None:
        self.outgoing.append(content)


def forgetting(key: str, then: str) -> Callable[["Turn"], Next]:
    """A step's `next` that drops what was learnt about the answer before this one (e.g. a
    new secret: whatever was verified was verified with another), then goes on to `then`."""
    def next_step(turn: "Turn") -> Next:
        turn.data[key] = ""
        return then
    return next_step


def noting(key: str, result: str) -> Callable[["Turn", str], Next]:
    """A step's `events` handler for a result from outside (Engine.notify: a signed request
    arrived or not): kept in `turn.data[key]` and the step shown again with it; quiet when
    the step already shows that result (LINE's Verify and [自動設定]'s test both bring one)."""
    def handler(turn: "Turn", _arg: str) -> Next:
        if turn.data.get(key) == result:
            return QUIET
        turn.data[key] = result
        return None
    return handler
