"""GET /media/<token>/<name>: the files cxbot hands a platform or a person by an unguessable
URL (a created bot's profile image, a conversation's files); cxbot/desk/media.py keeps them.
A conversation's file answers 410 once its retention has passed."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort

from cxbot.context import Context
from cxbot.desk import media

# Browsers and proxies may keep a copy this long at most, and never past the file's end.
CACHE_MAX_AGE = 86400
# Shown in the browser; anything else a customer sent (a page, an SVG, an .exe LINE WORKS
# would not take) is saved, never shown or run on cxbot's own origin.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("media", __name__)

    @bp.get("/media/<token>/<name>")
    def media_file(token: str, name: str):
        item = media.get(ctx, token)
        if item is None or item.file_name != name:
            abort(404)
        now = time.time()
        if media.expired(item, now):
            abort(410)
        max_age = CACHE_MAX_AGE if item.expires_at is None else int(min(CACHE_MAX_AGE, item.expires_at - now))
        headers = {"Cache-Control": f"private, max-age={max_age}", "X-Content-Type-Options": "nosniff"}
        if item.content_type.split(";")[0].strip().lower() not in INLINE_TYPES:
            headers["Content-Disposition"] = "attachment"
        return Response(item.data, mimetype=item.content_type, headers=headers)

    return bp
