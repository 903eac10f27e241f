"""The intake room (受付ルーム): while new customers wait for rooms of their own, the
counter account's agents see them there, and `/対応 N` makes that customer's room next.

The limits are the real ones at a time scale (the sandbox counts per 6 s instead of 60,
and so does cxbot), with cxbot's room budget lower than the platform's so that rooms
queue: 3 per window, and a queue of one room before new conversations are parked."""

from __future__ import annotations

import re

import pytest

from cxbot.base.waiting import wait_for
from cxbot.relay import intake
from tests.support.relay import (
    agent_rooms,
    agent_says,
    intake_rooms,
    line_desk,
    line_says,
    room_texts,
    shared_world,
    wait_room,
    wait_room_text,
)

pytestmark = pytest.mark.database

SCALE = 10
NAMES = ("一番客", "二番客", "三番客", "四番客")


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("intake"), outbox_backoff=0.02, works_rooms_per_min=3,
                      works_rate_window=60 / SCALE, room_queue_minutes=0.34) as world:
        world.http.post("/_sandbox/settings", json={"timeScale": SCALE}).raise_for_status()
        yield world


def entries(text: str) -> dict[str, tuple[int, str]]:
    """The waiting list's lines: customer -> (number, what it says of their room)."""
    return {m.group(2): (int(m.group(1)), m.group(3))
            for m in re.finditer(r"^#(\d+) (.+?)\(.*?\)・\d+分待ち・(.+)$", text, re.M)}


def test_a_surge_is_seen_in_the_intake_room_and_a_take_makes_that_room_next(w):
    desk = line_desk(w, customers=4, names=NAMES, account="受付テスト")
    room = intake_room_of(w, "受付テスト")
    assert room["title"] == "受付ルーム: 受付テスト"
    wait_room_text(w, room["roomId"], "/対応 番号")
    # Room creation is held for 3 s: the first customer's room waits, and the queue (one room) is full.
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/v1.0/bots/*/channels", "status": 429,
                                          "times": 1, "headers": {"rateLimit-reset": "3"}}).raise_for_status()
    for customer in desk.customers:
        line_says(w, desk, customer, {"type": "text", "text": f"{customer['displayName']}の質問です"})
    def seen() -> bool:
        """Every customer is visible to the agents: in the intake room's list, or in a room of their own."""
        listed = "\n".join(room_texts(w, room["roomId"]))
        own = [r["title"] for r in agent_rooms(w)]
        return all(name in listed or any(name in t for t in own) for name in NAMES)

    wait_for(seen, timeout=30, what="every customer visible to the agents")
    lists = [t for t in room_texts(w, room["roomId"]) if "トークルームを待っているお客様" in t]
    waiting = {name: entry for listed in lists for name, entry in entries(listed).items()}  # each list: who is new
    listed = "\n".join(lists)
    assert "二番客の質問です" in listed  # what they wrote first
    parked = [name for name in NAMES if name in waiting and "対応待ち" in waiting[name][1]]
    assert len(parked) >= 2, listed  # more customers than the queue holds wait for an agent
    last = parked[-1]
    agent_says(w, room["roomId"], f"/対応 {waiting[last][0]}")
    wait_room_text(w, room["roomId"], f"{last} さんのトークルームを次に作成します")
    taken = wait_room(w, last, timeout=20)
    wait_room_text(w, taken["roomId"], f"{last}の質問です")
    # The customer taken got a room before those parked ahead of them.
    order = [r["title"] for r in agent_rooms(w)]
    made = [name for name in NAMES if any(name in t for t in order)]
    for earlier in parked[:-1]:
        if earlier in made:
            assert made.index(last) < made.index(earlier), order
    # ... and nobody is left out: the queue shortens and every customer gets a room.
    for name in NAMES:
        wait_room_text(w, wait_room(w, name, timeout=40)["roomId"], f"{name}の質問です")


def intake_room_of(w, account: str) -> dict:
    intake.tick(w.ctx)  # what the scheduler does every few seconds: the account has agents, so its room is made
    return wait_for(lambda: next((r for r in intake_rooms(w) if account in r["title"]), None),
                    what=f"the intake room of {account}")


def test_an_unknown_number_is_answered_in_the_intake_room(w):
    line_desk(w, customers=0, account="番号テスト")
    room = intake_room_of(w, "番号テスト")
    agent_says(w, room["roomId"], "/対応 99999")
    wait_room_text(w, room["roomId"], "#99999 の待っているお問い合わせは、この窓口アカウントにはありません")
