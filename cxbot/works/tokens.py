"""Access tokens kept in the database, encrypted, so every process shares one token.

Renewal takes a row lock (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite) and re-checks expiry under it: two processes racing get one grant, and
both end with the same valid token.
"""

from __future__ import annotations

import logging
import time

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from cxbot.storage.crypto import Vault
from cxbot.storage.db import Database
from cxbot.storage.models import AccessToken
from cxbot.works.auth import (
    TokenGrantError,
    TokenResponse,
    WorksApp,
    grant_jwt,
    grant_refresh,
)

log = logging.getLogger(__name__)

REFRESH_TOKEN_LIFETIME = 90 * 86400
# A token this close to expiry is renewed by the caller itself rather than used.
CALLER_SKEW = 30


class TokenStore:
    def __init__(self, db: Database, vault: Vault, http: httpx.Client, auth_url: str):
        self.db = db
        self.vault = vault
        self.http = http
        self.auth_url = auth_url
        # This process's copy of each valid token, so an API call costs no database round trip.
        self._cache: dict[str, tuple[str, float]] = {}

    def get(self, app: WorksApp) -> str:
        hit = self._cache.get(app.client_id)
        if hit is not None and hit[1] > time.time() + CALLER_SKEW:
            return hit[0]
        with self.db.read() as s:
            row = s.exec(select(AccessToken).where(AccessToken.client_id == app.client_id)).first()
        if row is not None and row.expires_at > time.time() + CALLER_SKEW:
            token = self.vault.decrypt(row.access_token_enc)
            self._cache[app.client_id] = (token, row.expires_at)
            return token
        return self.renew(app, within=CALLER_SKEW)

    def renew(self, app: WorksApp, within: float = 0, stale: str | None = None) -> str:
        """Make sure the stored token outlives `within` seconds and is not `stale`; return it."""
        try:
            return self._renew(app, within, stale)
        except IntegrityError:
            # Two processes issued the first token at once (there was no row to lock yet):
            # the other one's row is there now, and it is fresh.
            return self._renew(app, within, stale)

    def _renew(self, app: WorksApp, within: float, stale: str | None) -> str:
        with self.db.session() as s:
            row = s.exec(
                select(AccessToken).where(AccessToken.client_id == app.client_id).with_for_update()
            ).first()
            now = time.time()
            if row is not None:
                current = self.vault.decrypt(row.access_token_enc)
                if row.expires_at > now + within and current != stale:
                    self._cache[app.client_id] = (current, row.expires_at)
                    return current  # someone renewed it while we waited for the lock
            grant = self._grant(app, row, now)
            if row is None:
                row = AccessToken(client_id=app.client_id, access_token_enc="", expires_at=0, issued_at=now)
            else:
                row.renewals += 1
            row.access_token_enc = self.vault.encrypt(grant.access_token)
            if grant.refresh_token:
                # A new refresh token arrives on the JWT grant, and on refresh when rotation is on.
                row.refresh_token_enc = self.vault.encrypt(grant.refresh_token)
                row.refresh_expires_at = now + REFRESH_TOKEN_LIFETIME
            row.scope = grant.scope
            row.expires_at = now + grant.expires_in
            row.issued_at = now
            s.add(row)
            self._cache[app.client_id] = (grant.access_token, row.expires_at)
            log.info("access token for client %s renewed; valid %d s", app.client_id, grant.expires_in)
            return grant.access_token

    def _grant(self, app: WorksApp, row: AccessToken | None, now: float) -> TokenResponse:
        if row is not None and row.refresh_token_enc and (row.refresh_expires_at or 0) > now + 60:
            try:
                return grant_refresh(self.http, self.auth_url, app, self.vault.decrypt(row.refresh_token_enc))
            except TokenGrantError as exc:
                if exc.status == 0:
                    raise
                # A refused refresh token (revoked, rotated elsewhere) is not fatal: the JWT grant needs none.
                log.warning("refresh grant refused for client %s (%s); using the JWT grant", app.client_id, exc.error)
        return grant_jwt(self.http, self.auth_url, app)

    def due(self, margin: float) -> list[str]:
        """Client IDs whose stored token expires within `margin` seconds."""
        with self.db.session() as s:
            rows = s.exec(select(AccessToken.client_id).where(AccessToken.expires_at <= time.time() + margin))
            return list(rows)

    def forget(self, client_id: str) -> None:
        self._cache.pop(client_id, None)
        with self.db.session() as s:
            row = s.exec(select(AccessToken).where(AccessToken.client_id == client_id)).first()
            if row is not None:
                s.delete(row)
