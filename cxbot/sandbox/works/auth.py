"""`POST /oauth2/v2.0/token`: the service-account JWT grant and the refresh grant.

Reference §1. Form-urlencoded in, JSON out. Errors are OAuth 2.0 style
`{"error", "error_description"}` with a reason a developer can act on.
"""

from __future__ import annotations

from urllib.parse import unquote

import jwt
from flask import Blueprint, current_app, jsonify, request

from ..clock import now
from .errors import OAuthError
from .model import ClientApp
from .state import WorksWorld

bp = Blueprint("sandbox_auth", __name__)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_JWT_LIFETIME = 3600
IAT_FUTURE_LEEWAY = 300


def _works() -> WorksWorld:
    return current_app.world.works


def _bad(error: str, description: str, status: int = 400) -> OAuthError:
    return OAuthError(status, error, description)


@bp.errorhandler(OAuthError)
def _oauth_error(exc: OAuthError):
    return exc.response()


@bp.post("/oauth2/v2.0/token")
def token():
    ctype = request.mimetype or ""
    if ctype != "application/x-www-form-urlencoded":
        raise _bad("invalid_request",
                   f"Content-Type must be application/x-www-form-urlencoded (got {ctype or 'none'})")
    form = request.form
    grant_type = unquote(form.get("grant_type", "").strip())
    if not grant_type:
        raise _bad("invalid_request", "grant_type is required")
    if grant_type == JWT_BEARER:
        return _jwt_grant(form)
    if grant_type == "refresh_token":
        return _refresh_grant(form)
    raise _bad("unsupported_grant_type",
               f"grant_type {grant_type!r} is not supported (use {JWT_BEARER} or refresh_token)")


def _client(form) -> ClientApp:
    client_id = form.get("client_id", "").strip()
    if not client_id:
        raise _bad("invalid_request", "client_id is required")
    with _works().lock:
        app = _works().apps.get(client_id)
    if app is None:
        raise _bad("invalid_client", f"client_id {client_id!r} is not a registered app", 401)
    secret = form.get("client_secret", "")
    if not secret:
        raise _bad("invalid_request", "client_secret is required")
    if secret != app.client_secret:
        raise _bad("invalid_client", "client_secret does not match the app's Client Secret", 401)
    return app


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jwt_grant(form):
    app = _client(form)
    assertion = form.get("assertion", "").strip()
    if not assertion:
        raise _bad("invalid_request", "assertion (the signed JWT) is required")
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise _bad("invalid_grant", f"assertion is not a well-formed JWT: {exc}") from None
    if header.get("alg") != "RS256":
        raise _bad("invalid_grant", f"JWT alg must be RS256 (got {header.get('alg')!r})")
    try:
        claims = jwt.decode(
            assertion,
            app.public_key,
            algorithms=["RS256"],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
                "require": [],
            },
        )
    except jwt.InvalidSignatureError:
        raise _bad("invalid_grant", "JWT signature does not verify with the registered public key") from None
    except jwt.PyJWTError as exc:
        raise _bad("invalid_grant", f"JWT could not be decoded: {exc}") from None

    if claims.get("iss") != app.client_id:
        raise _bad("invalid_grant", f"JWT iss must be the Client ID {app.client_id!r} (got {claims.get('iss')!r})")
    if claims.get("sub") != app.service_account:
        raise _bad("invalid_grant",
                   f"JWT sub must be the app's Service Account {app.service_account!r} (got {claims.get('sub')!r})")
    iat, exp = claims.get("iat"), claims.get("exp")
    for name, value in (("iat", iat), ("exp", exp)):
        if value is None:
            raise _bad("invalid_grant", f"JWT {name} is required (Unix seconds)")
        if not _is_number(value):
            raise _bad("invalid_grant", f"JWT {name} must be a number of Unix seconds, not {type(value).__name__}")
    t = now()
    if exp <= t:
        raise _bad("invalid_grant", f"JWT has expired (exp {exp} is {t - exp:.0f} s in the past)")
    if exp <= iat:
        raise _bad("invalid_grant", "JWT exp must be later than iat")
    if exp - iat > MAX_JWT_LIFETIME:
        raise _bad("invalid_grant", f"JWT lifetime exp - iat must be at most {MAX_JWT_LIFETIME} s (got {exp - iat:.0f})")
    if iat > t + IAT_FUTURE_LEEWAY:
        raise _bad("invalid_grant", f"JWT iat is {iat - t:.0f} s in the future (check the clock)")

    requested = form.get("scope", "").split()
    if not requested:
        raise _bad("invalid_request", "scope is required (space-separated, e.g. 'bot user.read')")
    missing = [s for s in requested if s not in app.scopes]
    if missing:
        raise _bad("invalid_scope",
                   f"scope {' '.join(missing)} is not granted to this app (app scopes: {' '.join(app.scopes)})")

    scopes = tuple(dict.fromkeys(requested))
    works = _works()
    access = works.issue_access_token(app, scopes)
    refresh = works.issue_refresh_token(app, scopes)
    return _token_response(app, access.token, refresh.token, scopes)


def _refresh_grant(form):
    app = _client(form)
    value = form.get("refresh_token", "").strip()
    if not value:
        raise _bad("invalid_request", "refresh_token is required")
    works = _works()
    with works.lock:
        stored = works.refresh_tokens.get(value)
        if stored is None:
            raise _bad("invalid_grant", "refresh_token is unknown")
        if stored.client_id != app.client_id:
            raise _bad("invalid_grant", "refresh_token was issued to another client_id")
        if not stored.active:
            raise _bad("invalid_grant", "refresh_token was replaced by a newer one (refresh token rotation is on)")
        if stored.expires_at <= now():
            raise _bad("invalid_grant", "refresh_token has expired (refresh tokens last 90 days)")
        access = works.issue_access_token(app, stored.scopes)
        new_refresh = None
        if app.refresh_rotation:
            stored.active = False
            new_refresh = works.issue_refresh_token(app, stored.scopes).token
    return _token_response(app, access.token, new_refresh, stored.scopes)


def _token_response(app: ClientApp, access: str, refresh: str | None, scopes: tuple[str, ...]):
    with _works().lock:
        as_string = _works().settings.expires_in_as_string
    body = {"access_token": access}
    if refresh:
        body["refresh_token"] = refresh
    body.update({
        "token_type": "Bearer",
        "expires_in": str(app.token_lifetime) if as_string else app.token_lifetime,
        "scope": " ".join(scopes),
    })
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp
