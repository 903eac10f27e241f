"""The sandbox's in-memory state: one `World` per sandbox app (`app.world`).

    world.lock       one RLock for everything (the werkzeug server is threaded, and cxbot
                     calls back into the sandbox while the sandbox delivers to cxbot)
    world.settings   settings.py   /_sandbox/settings
    world.traffic    traffic.py    injected faults, the platform request log
    world.works      works/state.py  the LINE WORKS tenant
    world.line       line/state.py   LINE channels, users, chats
    world.mail       mail/state.py   mail cxbot sent and customers sent, the SMTP catcher

Every read or write happens under `world.lock`; nothing is delivered while it is held.
`reset()` empties every part (the SMTP catcher keeps running).
"""

from __future__ import annotations

import threading

from .line.state import LineWorld
from .mail.state import MailWorld
from .settings import Settings
from .traffic import Traffic
from .works.state import WorksWorld


class World:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.settings = Settings()
        self.traffic = Traffic(self.lock)
        self.works = WorksWorld(self)
        self.line = LineWorld(self)
        self.mail = MailWorld(self)

    def reset(self) -> None:
        with self.lock:
            self.settings = Settings()
            self.traffic.reset()
            self.works.reset()
            self.line.reset()
            self.mail.reset()
