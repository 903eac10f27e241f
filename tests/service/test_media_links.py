"""Links to the files cxbot serves at /media: a conversation's file stays at its link as
long as the conversation's retention (CXBOT_RETENTION_DAYS) says, not a day, and is gone
after; a created bot's profile image stays as long as the bot."""

from __future__ import annotations

import httpx
import pytest
from freezegun import freeze_time

from cxbot.base.serving import serve_in_thread
from cxbot.desk import media
from cxbot.web.app import create_app

pytestmark = pytest.mark.database

DAY = 86400


@pytest.fixture
def served(make_ctx):
    ctx, _ = make_ctx(retention_days=30)
    srv = serve_in_thread(create_app(ctx), name="cxbot-web")
    yield ctx, srv.url
    srv.stop()


def test_a_conversations_file_lasts_its_retention_then_is_gone(served):
    ctx, base = served
    with freeze_time() as clock:
        token = media.store(ctx, "見積書.pdf", "application/pdf", b"%PDF-1.4 quote")
        link = f"{base}/media/{token}/見積書.pdf"
        assert httpx.get(link).content == b"%PDF-1.4 quote"
        clock.tick(25 * 3600)  # the next day's agent still opens it
        resp = httpx.get(link)
        assert resp.status_code == 200 and resp.content == b"%PDF-1.4 quote"
        assert int(resp.headers["Cache-Control"].rsplit("=", 1)[1]) <= 30 * DAY
        clock.tick(29 * DAY)
        assert httpx.get(link).status_code == 410
        assert media.purge_expired(ctx) == 1
        assert httpx.get(link).status_code == 404


def test_a_bots_profile_image_outlives_any_retention(served):
    ctx, base = served
    with freeze_time() as clock:
        token = media.store(ctx, "bot.png", "image/png", media.default_bot_png(16), lasting=True)
        clock.tick(400 * DAY)
        assert media.purge_expired(ctx) == 0
        resp = httpx.get(f"{base}/media/{token}/bot.png")
        assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("content_type, inline", [
    ("image/jpeg", True), ("image/svg+xml", False), ("text/html", False), ("application/x-msdownload", False)])
def test_only_pictures_are_shown_in_the_browser_the_rest_is_saved(served, content_type, inline):
    ctx, base = served
    token = media.store(ctx, "file", content_type, b"<svg onload=alert(1)>")
    resp = httpx.get(f"{base}/media/{token}/file")
    assert resp.status_code == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert ("Content-Disposition" not in resp.headers) is inline
