"""GET /media/<token>/<name>: the files cxbot hands a platform by an unguessable URL (an
attachment relayed to a LINE customer, a created bot's profile image); cxbot/desk/media.py
keeps them."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from cxbot.context import Context
from cxbot.desk import media


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("media", __name__)

    @bp.get("/media/<token>/<name>")
    def media_file(token: str, name: str):
        item = media.get(ctx, token)
        if item is None or item.file_name != name:
            abort(404)
        return Response(item.data, mimetype=item.content_type,
                        headers={"Cache-Control": "public, max-age=86400"})

    return bp
