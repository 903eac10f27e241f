"""Tokens: the JWT grant against the sandbox, refusals, sharing and refresh races."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from cxbot.demo import new_rsa_key
from cxbot.runtime.scheduler import refresh_due_tokens
from cxbot.storage.models import AccessToken
from cxbot.works.auth import TokenGrantError, WorksApp, grant_jwt

pytestmark = pytest.mark.database


def grants(sandbox_http) -> list[dict]:
    return sandbox_http.get("/_sandbox/requests", params={"path": "/oauth2/*"}).json()


def test_jwt_grant_issues_a_token_that_the_api_accepts(make_ctx, sandbox_http, admin):
    ctx, tenant = make_ctx()
    user = ctx.works.get_user(admin.user_id)
    assert user["email"] == admin.email
    with ctx.db.session() as s:
        row = s.exec(select(AccessToken)).one()
    # Stored encrypted: the plaintext token never sits in the database.
    token = ctx.tokens.get(ctx.hub_app)
    assert token not in row.access_token_enc
    assert ctx.vault.decrypt(row.access_token_enc) == token
    assert row.expires_at > time.time() + 3000
    assert [g["status"] for g in grants(sandbox_http)] == [200]


@pytest.mark.parametrize("what, change, reason", [
    ("wrong key", lambda app: WorksApp(app.client_id, app.client_secret, app.service_account, new_rsa_key()[0],
                                       app.scopes), "signature"),
    ("wrong secret", lambda app: WorksApp(app.client_id, "not-the-secret", app.service_account, app.private_key,
                                          app.scopes), "client_secret"),
])
def test_refused_grant_is_reported_with_the_platforms_reason(make_ctx, what, change, reason):
    ctx, _ = make_ctx()
    with pytest.raises(TokenGrantError) as err:
        grant_jwt(ctx.http, ctx.settings.works_auth_url, change(ctx.hub_app))
    assert err.value.status in (400, 401)
    assert reason in err.value.description.lower()
    assert "refused the token request" in str(err.value)


def test_expired_jwt_is_refused(make_ctx):
    ctx, _ = make_ctx()
    with pytest.raises(TokenGrantError) as err:
        grant_jwt(ctx.http, ctx.settings.works_auth_url, ctx.hub_app, now=time.time() - 2 * 3600)
    assert "expired" in err.value.description.lower()


def test_an_unreachable_token_endpoint_is_reported(make_ctx):
    ctx, _ = make_ctx(works_auth_url="http://127.0.0.1:9/oauth2/v2.0/token")
    with pytest.raises(TokenGrantError) as err:
        ctx.tokens.get(ctx.hub_app)
    assert err.value.error == "unreachable"


def test_processes_share_one_token_through_the_database(make_ctx, sandbox_http, admin):
    ctx1, tenant = make_ctx()
    ctx2, _ = make_ctx(tenant)
    ctx1.works.get_user(admin.user_id)
    ctx2.works.get_user(admin.user_id)
    assert len(grants(sandbox_http)) == 1


def test_two_workers_racing_the_refresh_make_one_grant(make_ctx, sandbox_http, admin):
    ctx1, tenant = make_ctx()
    ctx2, _ = make_ctx(tenant)
    first = ctx1.tokens.get(ctx1.hub_app)
    sandbox_http.delete("/_sandbox/requests")
    # Make the stored token due for renewal, then let both "workers" run the job at once.
    with ctx1.db.session() as s:
        row = s.exec(select(AccessToken)).one()
        row.expires_at = time.time() + 60
        s.add(row)
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def run(name, ctx):
        barrier.wait()
        results[name] = refresh_due_tokens(ctx)

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in (("a", ctx1), ("b", ctx2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(grants(sandbox_http)) == 1, grants(sandbox_http)
    with ctx1.db.session() as s:
        row = s.exec(select(AccessToken)).one()
    assert row.renewals == 1 and ctx1.vault.decrypt(row.access_token_enc) != first
    # Both end with a token the platform accepts.
    sandbox_http.delete("/_sandbox/requests")
    ctx1.works.get_user(admin.user_id)
    ctx2.works.get_user(admin.user_id)
    assert [r["status"] for r in sandbox_http.get("/_sandbox/requests").json()] == [200, 200]


def test_refresh_survives_refresh_token_rotation(make_ctx, sandbox_http):
    ctx, tenant = make_ctx()
    sandbox_http.post("/_sandbox/apps", json={"clientId": tenant.client_id, "refreshRotation": True})
    ctx.tokens.get(ctx.hub_app)
    tokens = set()
    for _ in range(3):
        tokens.add(ctx.tokens.renew(ctx.hub_app, within=10 ** 9))
    assert len(tokens) == 3
    kinds = [g for g in grants(sandbox_http)]
    assert all(g["status"] == 200 for g in kinds)


def test_two_processes_issuing_the_first_token_at_once_both_get_one(make_ctx, sandbox_http, admin):
    ctx1, tenant = make_ctx()
    ctx2, _ = make_ctx(tenant)
    barrier = threading.Barrier(2)
    tokens: dict[str, str] = {}

    def first(name, ctx):
        barrier.wait()
        tokens[name] = ctx.tokens.get(ctx.hub_app)

    threads = [threading.Thread(target=first, args=(n, c)) for n, c in (("a", ctx1), ("b", ctx2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert set(tokens) == {"a", "b"}  # neither raised
    with ctx1.db.session() as s:
        assert len(s.exec(select(AccessToken)).all()) == 1
    ctx1.works.get_user(admin.user_id)
    ctx2.works.get_user(admin.user_id)
