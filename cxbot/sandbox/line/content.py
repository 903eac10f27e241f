"""The data host's content routes (reference "Getting content"): what a user sent, 202
while a large video or audio is prepared, its transcoding status, 410 after an unsend.

    BASE/line-data/v2/bot/message/<id>/content              GET
    BASE/line-data/v2/bot/message/<id>/content/transcoding  GET  {"status": processing|succeeded|failed}
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

from .api import DATA_PREFIX, LineError, line_world, require_channel
from .model import LineChannel
from .state import LineWorld

data_bp = Blueprint("sandbox_line_data", __name__, url_prefix=DATA_PREFIX)


@data_bp.get("/v2/bot/message/<message_id>/content")
def content(message_id: str):
    channel = require_channel()
    line = line_world()
    with line.lock:
        item = _content_of(line, channel, message_id)
        if item.transcoding == "processing":
            # "the status code 202 will be returned and you can't get the binary data"; the body is not documented.
            return current_app.response_class(b"", status=202)
        if item.transcoding == "failed":
            raise LineError(404, "not found")  # undocumented: the sandbox's reading of content that never became ready
        data, ctype = item.data, item.content_type
    return current_app.response_class(data, status=200, mimetype=None, content_type=ctype)


def _content_of(line: LineWorld, channel: LineChannel, message_id: str):
    """Called with the lock held: the content of a user's message to this channel, or LINE's 404 / 410."""
    if not re.fullmatch(r"\d+", message_id):
        raise LineError(400, "Invalid messageId")
    item = line.contents.get(message_id)
    if item is None or item.channel_id != channel.channel_id:
        raise LineError(404, "not found")
    if item.gone:
        raise LineError(410, "The content is gone")
    return item


@data_bp.get("/v2/bot/message/<message_id>/content/transcoding")
def transcoding(message_id: str):
    """Reference "Verify the preparation status of a video or audio for getting"."""
    channel = require_channel()
    line = line_world()
    with line.lock:
        item = _content_of(line, channel, message_id)
        if item.kind not in ("video", "audio"):
            raise LineError(400, "Transcoding status doesn't support this type of content")
        return jsonify({"status": item.transcoding})
