"""`GET /v1.0/users/{userId}` (reference §6): by user ID or login email (URL-encoded).

What comes back depends on the token's scopes: user / user.read / directory /
directory.read -> the member object; user.profile.read -> the profile subset;
user.email.read -> `{"userId", "email"}`; anything else -> 403.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from .api import (
    SCOPES_USER,
    SCOPES_USER_EMAIL,
    SCOPES_USER_PROFILE,
    require_token,
    works,
)
from .errors import invalid, not_found

bp = Blueprint("sandbox_users", __name__, url_prefix="/v1.0")


@bp.get("/users/<path:user_id>")
def get_user(user_id: str):
    token = require_token(*SCOPES_USER, *SCOPES_USER_PROFILE, *SCOPES_USER_EMAIL)
    if user_id == "me":
        raise invalid("userId: 'me' cannot be used with a service account token")
    user = works().find_user(user_id)
    if user is None:
        raise not_found(f"user {user_id!r} not found")
    scopes = set(token.scopes)
    if scopes & set(SCOPES_USER):
        return jsonify(user.to_api())
    if scopes & set(SCOPES_USER_PROFILE):
        return jsonify(user.to_api_profile())
    return jsonify({"userId": user.user_id, "email": user.email})
