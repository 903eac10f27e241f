"""The email side of the sandbox: an SMTP catcher that plays cxbot's outbound relay,
email customers (and Gmail) that send realistic MIME mail to cxbot over SMTP or HTTP,
and a control API.

    BASE/_sandbox/mail/...      control.py   control API (tests, demo, the page)
    SMTP catcher                catcher.py   CXBOT_SMTP_URL=smtp://127.0.0.1:<start_catcher(world)>

Module map: state (world.mail: what cxbot sent, what customers sent, settings,
threading), catcher (the relay cxbot sends through), listener (aiosmtpd on a port of
its own, port 0 included), customer (building and delivering mail, Gmail's
forwarding confirmation), control (/_sandbox/mail).

The catcher is not started by `create_app`: call `start_catcher(world)` (or
`POST /_sandbox/mail/catcher/start`) and give cxbot its port; `stop_catcher(world)`
when done. `/_sandbox/reset` clears the mail lists but keeps the catcher running.
"""

from __future__ import annotations

from flask import Flask

from . import control
from .catcher import catcher_state, start_catcher, stop_catcher
from .state import MailWorld


def install(app: Flask) -> None:
    app.register_blueprint(control.bp)


__all__ = ["MailWorld", "catcher_state", "install", "start_catcher", "stop_catcher"]
