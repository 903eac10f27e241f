"""GET / on cxbot itself: what it is, its version, database and worker health in words,
and where the documentation is, in the UI language."""

from __future__ import annotations

import importlib.metadata

import httpx
import pytest

from cxbot.base.serving import serve_in_thread
from cxbot.base.waiting import wait_for
from cxbot.web.app import create_app

pytestmark = pytest.mark.database


def test_the_landing_page_says_what_this_is_and_how_it_is(wired):
    wait_for(lambda: httpx.get(f"{wired.url}/healthz").json()["worker"]["alive"], what="the worker's heartbeat")
    resp = httpx.get(f"{wired.url}/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert '<html lang="ja">' in page
    assert f"cxbot <span class=\"note\">{importlib.metadata.version('cxbot')}</span>" in page
    assert "LINE WORKS をカスタマーサポートの窓口にする" in page
    assert "データベース: <span class=\"ok\">正常</span>" in page
    assert "ワーカー: <span class=\"ok\">動作中</span>" in page
    assert '<a href="/healthz">' in page and "README.md" in page
    assert "Status" not in page and "Worker" not in page


def test_in_english_without_a_worker(make_ctx):
    ctx, _ = make_ctx(locale="en")
    server = serve_in_thread(create_app(ctx), name="cxbot-web")
    try:
        resp = httpx.get(f"{server.url}/")
    finally:
        server.stop()
    assert resp.status_code == 200
    page = resp.text
    assert '<html lang="en">' in page and "front desk of customer support" in page
    assert "Database: <span class=\"ok\">reachable</span>" in page
    assert "Worker: <span class=\"error\">not started yet</span>" in page
    assert "データベース" not in page
