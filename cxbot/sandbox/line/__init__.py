"""The LINE side of the sandbox: a real HTTP emulator of the LINE Messaging API parts
cxbot uses, mounted on the same Flask app as the LINE WORKS side.

    BASE/line/v2/bot/...                    api.py      Messaging API (CXBOT_LINE_API_URL=BASE/line)
    BASE/line-data/v2/bot/message/.../content  content.py  data host  (CXBOT_LINE_DATA_URL=BASE/line-data)
    BASE/_sandbox/line/...                  control.py  control API (tests, demo, the page)

Module map: model (channels, users, chats, tokens as data; LINE's ID formats),
state (world.line: the tables), api (the routes and LINE's error shape), content
(the data host), media_check (what the user's app finds behind media URLs), validate
(message objects, webhook URLs), webhooks (signed delivery with the sandbox's
signer, Verify), acts (what a LINE user does), control (/_sandbox/line).

The LINE paths share the sandbox's request log (`/_sandbox/requests`) and fault
injection (`/_sandbox/faults`); `/_sandbox/reset` clears the LINE state too.
"""

from __future__ import annotations

from flask import Flask

from . import api, content, control
from .state import LineWorld


def install(app: Flask) -> None:
    api.install_hooks(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(content.data_bp)
    app.register_blueprint(control.bp)


__all__ = ["LineWorld", "install"]
