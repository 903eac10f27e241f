"""A customer's file LINE WORKS will not take into a CX Talk room (a type its file security
blocks, or too big): the room gets a link to cxbot's copy and the reason, not an error."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from tests.support.relay import line_desk, line_says, room_file_names, room_texts, wait_room, wait_room_text

pytestmark = pytest.mark.database


def customer_sends_file(w, account: str, file_name: str, data: bytes) -> dict:
    desk = line_desk(w, customers=1, names=("山田 太郎",), account=account)
    line_says(w, desk, desk.customers[0], {"type": "file", "fileName": file_name,
                                           "dataBase64": base64.b64encode(data).decode()})
    return wait_room(w, account)


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/media/\S+", text).group(0)


def link_note(w, room: dict) -> str:
    """The room's note that a file came as a link (what the agent opens)."""
    return next(t for t in wait_room_text(w, room["roomId"], "こちらから開けます") if "こちらから開けます" in t)


def test_a_blocked_type_reaches_the_room_as_a_link_with_the_reason(make_wired):
    w = make_wired(outbox_backoff=0.02)
    room = customer_sends_file(w, "窓口A", "setup.exe", b"MZ\x90\x00 not really a program")
    note = link_note(w, room)
    assert "setup.exe" in note and "ファイルセキュリティ" in note and ".exe" in note and "365日間有効" in note
    assert not any("送信できませんでした" in t for t in room_texts(w, room["roomId"]))
    got = httpx.get(link_in(note))
    assert got.status_code == 200 and got.content == b"MZ\x90\x00 not really a program"
    assert got.headers["Content-Disposition"] == "attachment"  # saved by the agent, never run in a browser


@pytest.mark.parametrize("reading", ["send", "upload"])
def test_a_type_the_tenant_also_blocks_is_linked_where_ever_line_works_refuses_it(make_wired, reading):
    w = make_wired(outbox_backoff=0.02)
    # The tenant's admin blocked .zip too, which cxbot cannot know: LINE WORKS refuses it,
    # at the file message (the documented reading) or at the upload.
    w.http.post("/_sandbox/settings", json={
        "blockedFileCheck": reading, "blockedFileExtensions": ["exe", "bat", "zip"]}).raise_for_status()
    room = customer_sends_file(w, f"窓口B{reading}", "logs.zip", b"PK\x03\x04 logs")
    note = link_note(w, room)
    assert "logs.zip" in note and "受け付けませんでした" in note and "[400 INVALID_PARAMETER]" in note
    assert httpx.get(link_in(note)).content == b"PK\x03\x04 logs"


def test_a_file_over_cxbots_limit_is_linked(make_wired):
    w = make_wired(outbox_backoff=0.02, works_file_max_bytes=1024)
    room = customer_sends_file(w, "窓口C", "図面.pdf", b"%PDF-1.4 " + b"x" * 2048)
    note = link_note(w, room)
    assert "図面.pdf" in note and "大きさ" in note and "(1 KB" in note and "(2 KB)" in note
    assert httpx.get(link_in(note)).content.startswith(b"%PDF-1.4 ")


def test_a_file_over_the_tenants_limit_is_linked(make_wired):
    w = make_wired(outbox_backoff=0.02)
    w.http.post("/_sandbox/settings", json={"maxFileBytes": 1024}).raise_for_status()
    room = customer_sends_file(w, "窓口D", "写真集.pdf", b"%PDF-1.4 " + b"y" * 4096)
    note = link_note(w, room)
    assert "写真集.pdf" in note and "[403 LIMIT_EXCEEDED]" in note
    assert httpx.get(link_in(note)).status_code == 200


def test_a_file_line_works_takes_is_still_attached(make_wired):
    w = make_wired(outbox_backoff=0.02)
    room = customer_sends_file(w, "窓口E", "manual.pdf", b"%PDF-1.4 manual")
    wait_room_text(w, room["roomId"], "<file>")
    assert room_file_names(w, room["roomId"]) == ["manual.pdf"]
