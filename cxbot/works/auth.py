"""LINE WORKS OAuth: the service-account (JWT bearer) grant and the refresh grant.

Reference: ../shared/reference/lineworks-api-2.md §1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
import jwt

from cxbot.base.httpjson import json_object

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# LINE WORKS refuses assertions that live longer than an hour.
ASSERTION_LIFETIME = 3600


@dataclass(frozen=True)
class WorksApp:
    """A Developers Console ClientApp: what is needed to obtain tokens for it."""

    client_id: str
    client_secret: str = field(repr=False)
    service_account: str
    private_key: str = field(repr=False)  # PEM
    scopes: str = "bot"


@dataclass(frozen=True)
class TokenResponse:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int
    scope: str


class TokenGrantError(Exception):
    """The token endpoint refused; carries the OAuth `error` and `error_description`."""

    def __init__(self, status: int, error: str, description: str):
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"LINE WORKS refused the token request ({status} {error}): {description}")


def build_assertion(app: WorksApp, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"iss": app.client_id, "sub": app.service_account, "iat": issued, "exp": issued + ASSERTION_LIFETIME}
    try:
        return jwt.encode(claims, app.private_key, algorithm="RS256")
    except (ValueError, TypeError) as exc:
        raise TokenGrantError(0, "invalid_private_key", f"the private key cannot sign a JWT: {exc}") from None


def _parse(resp: httpx.Response) -> TokenResponse:
    body = json_object(resp)
    if resp.status_code != 200 or "access_token" not in body:
        raise TokenGrantError(
            resp.status_code,
            str(body.get("error") or body.get("code") or "unexpected_response"),
            str(body.get("error_description") or body.get("description") or resp.text[:200]),
        )
    # The documentation shows expires_in as a string; some responses carry a number.
    return TokenResponse(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or None,
        expires_in=int(float(body.get("expires_in", 3600))),
        scope=str(body.get("scope", "")),
    )


def _post(http: httpx.Client, url: str, form: dict) -> TokenResponse:
    try:
        resp = http.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise TokenGrantError(0, "unreachable", f"{url} did not answer: {exc.__class__.__name__}") from None
    return _parse(resp)


def grant_jwt(http: httpx.Client, auth_url: str, app: WorksApp, now: float | None = None) -> TokenResponse:
    return _post(
        http,
        auth_url,
        {
            "assertion": build_assertion(app, now),
            "grant_type": JWT_BEARER,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": app.scopes,
        },
    )


def grant_refresh(http: httpx.Client, auth_url: str, app: WorksApp, refresh_token: str) -> TokenResponse:
    return _post(
        http,
        auth_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
