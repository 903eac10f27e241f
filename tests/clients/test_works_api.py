"""Each LINE WORKS call cxbot makes, against the sandbox: the effect is visible there."""

from __future__ import annotations

import pytest

from cxbot.demo import USERS
from cxbot.works import messages as m
from cxbot.works.client import WorksApiError

pytestmark = pytest.mark.database

AGENTS = [u.user_id for u in USERS if u.role == "agent"]


def test_message_to_a_user_lands_in_their_room(make_ctx, sandbox_http, admin):
    ctx, tenant = make_ctx()
    ctx.works.send_to_user(tenant.bot_id, admin.email, m.text("メールアドレス宛てでも届く"))
    room = sandbox_http.get("/_sandbox/rooms/dm", params={"botId": tenant.bot_id, "userId": admin.user_id}).json()
    msgs = sandbox_http.get(f"/_sandbox/rooms/{room['roomId']}/messages").json()
    assert msgs[-1]["content"] == {"type": "text", "text": "メールアドレス宛てでも届く"}


def test_channel_create_get_members_message_leave(make_ctx, sandbox_http):
    ctx, tenant = make_ctx()
    made = ctx.works.create_channel(tenant.bot_id, AGENTS, "LINE / 山田様 / サポート窓口")
    channel_id = made["channelId"]
    assert ctx.works.get_channel(tenant.bot_id, channel_id)["title"] == "LINE / 山田様 / サポート窓口"
    assert sorted(ctx.works.channel_members(tenant.bot_id, channel_id)) == sorted(AGENTS)
    ctx.works.send_to_channel(tenant.bot_id, channel_id, m.text("お問い合わせが届きました"))
    msgs = sandbox_http.get(f"/_sandbox/rooms/{channel_id}/messages").json()
    assert msgs[-1]["content"]["text"] == "お問い合わせが届きました"
    ctx.works.leave_channel(tenant.bot_id, channel_id)
    # Once the bot has left, the room is no longer the bot's to write in.
    with pytest.raises(WorksApiError) as err:
        ctx.works.send_to_channel(tenant.bot_id, channel_id, m.text("もう届かない"))
    assert err.value.status in (403, 404)


def test_bot_lifecycle(make_ctx, sandbox_http, admin, photo_url):
    ctx, tenant = make_ctx()
    bot = ctx.works.create_bot({
        "botName": "サポート窓口", "photoUrl": photo_url,
        "description": "ご質問をどうぞ", "administrators": [admin.user_id],
        "enableCallback": True, "callbackUrl": "https://cxbot.example/webhooks/works/tok",
        "callbackEvents": ["text", "image", "file"], "enableGroupJoin": False,
    })
    bot_id = bot["botId"]
    assert ctx.works.get_bot(bot_id)["botName"] == "サポート窓口"
    assert ctx.works.patch_bot(bot_id, {"description": "新しい説明"})["description"] == "新しい説明"
    ctx.works.register_bot_domain(bot_id, ctx.settings.works_domain_id, visible=True)
    assert bot_id in [b["botId"] for b in ctx.works.list_bots()]
    rooms = sandbox_http.get("/_sandbox/rooms", params={"userId": admin.user_id}).json()
    assert any(r.get("botId") == bot_id for r in rooms)
    ctx.works.delete_bot(bot_id)
    rooms = sandbox_http.get("/_sandbox/rooms", params={"userId": admin.user_id}).json()
    assert not any(r.get("botId") == bot_id and not r.get("readOnly") for r in rooms)


def test_attachment_upload_and_download(make_ctx, admin):
    ctx, tenant = make_ctx()
    data = bytes(range(256)) * 40
    file_id = ctx.works.upload_attachment(tenant.bot_id, "report.pdf", data, "application/pdf")
    got, content_type, name = ctx.works.download_attachment(tenant.bot_id, file_id)
    assert got == data
    assert content_type.startswith("application/pdf")
    assert name == "report.pdf"
    ctx.works.send_to_user(tenant.bot_id, admin.user_id, m.file(file_id=file_id))


def test_user_lookup_by_id_and_by_email(make_ctx, admin):
    ctx, _ = make_ctx()
    assert ctx.works.get_user(admin.user_id)["email"] == admin.email
    assert ctx.works.get_user(admin.email)["userId"] == admin.user_id
