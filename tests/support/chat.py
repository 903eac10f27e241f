"""Talking to the hub bot through the sandbox, as a person does in the chat page: what an
admin reads (`text_of`) and the buttons they can press (`labels_of`)."""

from __future__ import annotations

import base64

from cxbot.base.waiting import wait_for
from tests.support.world import Wired

ADMIN_SOURCES = ("hub", "line_verify", "works_bot_verify", "form")  # the inbox sources of an admin's chat


class Chat:
    """An admin (or anyone) talking to the hub bot through the sandbox, as in the chat page."""

    def __init__(self, wired: Wired, user_id: str):
        self.w = wired
        self.user_id = user_id
        self.room: str | None = None
        self.seen = 0

    def _settle(self) -> list[dict]:
        wait_for(lambda: self.w.ctx.inbox.count("pending", "processing", sources=ADMIN_SOURCES) == 0,
                 what="the worker to finish")
        msgs = self.w.bot_messages(self.room) if self.room else []
        new, self.seen = msgs[self.seen:], len(msgs)
        return new

    def send(self, text: str) -> list[dict]:
        sent = self.w.say(self.user_id, text)
        assert sent["callback"]["status"] == 200, sent
        self.room = sent["roomId"]
        return self._settle()

    def send_file(self, file_name: str, data: bytes, content_type: str, kind: str = "image") -> list[dict]:
        resp = self.w.http.post("/_sandbox/act/file", json={
            "userId": self.user_id, "botId": int(self.w.tenant.bot_id), "fileName": file_name,
            "contentType": content_type, "dataBase64": base64.b64encode(data).decode(), "kind": kind})
        resp.raise_for_status()
        self.room = resp.json()["roomId"]
        return self._settle()

    def last(self) -> dict:
        return self.w.bot_messages(self.room)[-1]

    def find(self, label: str) -> dict:
        for msg in reversed(self.w.bot_messages(self.room)):
            if label in labels_of(msg):
                return msg
        raise AssertionError(f"no message with a {label!r} button")

    def press(self, label: str, message: dict | None = None) -> list[dict]:
        msg = message or self.find(label)
        resp = self.w.http.post("/_sandbox/act/press", json={
            "userId": self.user_id, "messageId": msg["messageId"], "label": label})
        assert resp.status_code == 200, resp.text
        return self._settle()


def labels_of(message: dict) -> list[str]:
    content = message["content"]
    found = [a["label"] for a in content.get("actions", []) if isinstance(a, dict)]
    for row in content.get("actions", []):
        if isinstance(row, list):
            found += [a["label"] for a in row]
    for element in content.get("elements", []):
        if element.get("action"):
            found.append(element["action"]["label"])
    return found


def text_of(messages: list[dict]) -> str:
    """Everything the admin can read in these messages."""
    parts = []
    for msg in messages:
        c = msg["content"]
        parts += [c.get("text", ""), c.get("contentText", "")]
        parts += [e.get("title", "") for e in c.get("elements", [])]
    return "\n".join(p for p in parts if p)
