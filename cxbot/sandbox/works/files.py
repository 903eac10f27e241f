"""Attachments (reference §3.6).

- `POST /v1.0/bots/{botId}/attachments` `{"fileName"}` -> 200 `{"fileId", "uploadUrl"}`; with
  `blockedFileCheck: "upload"` a name whose extension file security blocks is refused here
  (400 INVALID_PARAMETER; with "send", the documented reading, the file message is refused)
- `POST {uploadUrl}` = `/_upload/<id>`: multipart part `FileData`, Bearer required, single use;
  a file over the admin's "maximum size for a single file" (`maxFileBytes`) -> 403 LIMIT_EXCEEDED
- `GET /v1.0/bots/{botId}/attachments/{fileId}` -> 302 to `/_download/<id>`
- `GET /_download/<id>`: the bytes, with Content-Type and file name
"""

from __future__ import annotations

import io
import mimetypes

from flask import Blueprint, jsonify, redirect, request, send_file

from ..clock import now
from .api import (
    SCOPES_CHANNEL_READ,
    SCOPES_MESSAGE,
    get_bot,
    json_body,
    require_token,
    works,
)
from .errors import ApiError, invalid, not_found
from .model import UPLOAD_URL_LIFETIME, Attachment
from .state import WorksWorld
from .validate import file_extension

bp = Blueprint("sandbox_files", __name__)

FILE_NAME_MAX = 255


def guess_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def store_file(w: WorksWorld, file_name: str, data: bytes, content_type: str | None, bot_id: int | None) -> Attachment:
    """A file already uploaded (what a user sends a bot): returns its attachment."""
    att = w.new_attachment(file_name, bot_id)
    with w.lock:
        att.data = data
        att.content_type = content_type or guess_type(file_name)
        att.upload_used = True
    return att


def _base_url() -> str:
    return request.url_root.rstrip("/")


@bp.post("/v1.0/bots/<bot_id>/attachments")
def create_attachment(bot_id: str):
    require_token(*SCOPES_MESSAGE)
    bot = get_bot(bot_id)
    data = json_body()
    name = data.get("fileName")
    if not isinstance(name, str) or not name.strip():
        raise invalid("fileName: required (the name of the file to upload)")
    if len(name) > FILE_NAME_MAX:
        raise invalid(f"fileName: must be at most {FILE_NAME_MAX} characters (got {len(name)})")
    w = works()
    ext = file_extension(name)
    if w.settings.blocked_file_check == "upload" and ext and ext in w.settings.blocked_file_extensions:
        raise invalid(f"fileName: files with extension .{ext} cannot be uploaded"
                      f" (blocked by file security: {', '.join(w.settings.blocked_file_extensions)})")
    att = w.new_attachment(name, bot.bot_id)
    return jsonify({"fileId": att.file_id, "uploadUrl": f"{_base_url()}/_upload/{att.upload_id}"})


@bp.post("/_upload/<upload_id>")
def upload(upload_id: str):
    require_token()
    w = works()
    att = w.attachment_by("upload_id", upload_id)
    if att is None:
        raise not_found("upload URL not found")
    with w.lock:
        if att.upload_used:
            raise ApiError(409, "CONFLICT", "this upload URL was already used (upload URLs are single use)")
        if now() - att.created_time > UPLOAD_URL_LIFETIME:
            raise ApiError(410, "GONE", "this upload URL has expired (upload URLs are valid for 24 hours)")
    # The doc example names the part "Filedata"; the official samples send "FileData".
    part = request.files.get("FileData") or request.files.get("Filedata")
    if part is None:
        raise invalid("FileData: required (multipart/form-data part named FileData)")
    data = part.read()
    if len(data) > w.settings.max_file_bytes:
        raise ApiError(403, "LIMIT_EXCEEDED", f"the file is {len(data)} bytes; the maximum size for a single file"
                                              f" is {w.settings.max_file_bytes} bytes")
    with w.lock:
        if att.upload_used:
            raise ApiError(409, "CONFLICT", "this upload URL was already used (upload URLs are single use)")
        att.upload_used = True
        att.data = data
        ctype = part.mimetype if part.mimetype and part.mimetype != "application/octet-stream" else None
        att.content_type = ctype or guess_type(att.file_name)
    return jsonify({"fileId": att.file_id})


@bp.get("/v1.0/bots/<bot_id>/attachments/<file_id>")
def download_redirect(bot_id: str, file_id: str):
    require_token(*SCOPES_CHANNEL_READ)
    get_bot(bot_id)
    w = works()
    with w.lock:
        att = w.attachments.get(file_id)
        if att is None or not att.uploaded:
            raise not_found(f"file {file_id!r} not found")
        download_id = att.download_id
    return redirect(f"{_base_url()}/_download/{download_id}", code=302)


def file_response(att: Attachment):
    inline = (att.content_type or "").startswith("image/")
    return send_file(io.BytesIO(att.data or b""), mimetype=att.content_type,
                     as_attachment=not inline, download_name=att.file_name)


@bp.get("/_download/<download_id>")
def download(download_id: str):
    att = works().attachment_by("download_id", download_id)
    if att is None or not att.uploaded:
        raise not_found("download URL not found")
    return file_response(att)
