"""The agents' answers pushed to LINE customers: text in parts LINE takes, an image as
LINE shows it (JPEG or PNG original ≤ 10 MB, a separate preview ≤ 1 MB, served by cxbot
at /media under percent-encoded URLs with their own Content-Type), an mp4 as a video
message with a preview, an mp3 / m4a as an audio message with its length, any other file
as a link (other audio with a note to the room saying why it did not go as audio)."""

from __future__ import annotations

from cxbot import channels
from cxbot.context import Context
from cxbot.desk import media
from cxbot.line import audio, images
from cxbot.line import messages as line_messages
from cxbot.line.client import LineApiError
from cxbot.relay import texts
from cxbot.relay.delivery import Unsendable, conversation_of, linked
from cxbot.relay.line import line_client
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Media, OutboxItem

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
VIDEO_MAX = 200 * 1024 * 1024  # a video message's mp4 (reference "Video message")
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
_AUDIO_NAMES = {"audio/mpeg": "audio.mp3", "audio/mp4": "audio.m4a"}


def _is_mp4_video(data: bytes, content_type: str, name: str) -> bool:
    """An ISO media file (its first box "ftyp") that is not an m4a, sent as a video."""
    if data[4:8] != b"ftyp" or data[8:12] in _AUDIO_BRANDS:
        return False
    return content_type.startswith("video/") or name.lower().endswith((".mp4", ".m4v"))


def prepare_answer(ctx: Context, attachment: dict) -> dict:
    """An agent's image made into what LINE shows (stored beside the agent's file, which
    stays as it came); Unsendable when no JPEG / PNG within LINE's sizes can be made of it."""
    stored = media.get(ctx, attachment["token"])
    if attachment.get("kind") != "image":
        if len(stored.data) <= VIDEO_MAX and _is_mp4_video(stored.data, stored.content_type, stored.file_name):
            # The agent's mp4 plays in the chat, served as video/mp4 (however it was labelled).
            video = media.store(ctx, "video.mp4", "video/mp4", stored.data)
            # LINE asks for a preview of the video's aspect ratio; cxbot cannot read it (mutagen reads
            # an MP4's sound track, not its picture size), so the preview stays a 16:9 still.
            preview = media.store(ctx, "preview.jpg", "image/jpeg", images.video_preview())
            return {**attachment, "line": {"kind": "video", "token": video, "name": "video.mp4",
                                           "preview_token": preview, "preview_name": "preview.jpg"}}
        return _audio(ctx, attachment, stored)
    try:
        shaped = images.for_line(stored.data)
    except images.ImageUnfit as exc:
        raise Unsendable(f"image_{exc.reason}", str(exc)) from None
    name = f"image.{_EXTENSIONS[shaped.original_type]}"
    original = media.store(ctx, name, shaped.original_type, shaped.original)
    preview = media.store(ctx, "preview.jpg", shaped.preview_type, shaped.preview)
    return {**attachment, "line": {"kind": "image", "token": original, "name": name, "preview_token": preview,
                                   "preview_name": "preview.jpg"}}


def _audio(ctx: Context, attachment: dict, stored: Media) -> dict:
    """An mp3 / m4a as an audio message, served as audio/mpeg or audio/mp4 (however it was
    labelled); other audio goes as a link, and the room is told why it is not played in the chat."""
    try:
        fit = audio.for_line(stored.data)
    except audio.AudioUnfit as exc:
        if not (exc.audio or stored.content_type.lower().startswith("audio/")):
            return attachment  # not audio: a link, as any other file
        return {**attachment, "room_note": ctx.texts.render(
            "relay/audio_as_link", name=attachment["file_name"][:200], reason=exc.reason,
            party=texts.party(ctx, channels.LINE.kind))}
    name = _AUDIO_NAMES[fit.content_type]
    token = media.store(ctx, name, fit.content_type, stored.data)
    return {**attachment, "line": {"kind": "audio", "token": token, "name": name, "duration": fit.duration}}


def _failure(exc: LineApiError) -> Failure:
    if exc.status == 429:
        reason = "rate_limited" if exc.retryable else "line_quota"
    elif exc.status == 0 or exc.status >= 500:
        reason = "unavailable"
    else:
        reason = "refused"
    return Failure(f"LINE {exc.status}: {exc.message}", retryable=exc.retryable, retry_after=exc.retry_after,
                   rate_limited=exc.status == 429 and exc.retryable, reason=reason,
                   code=f"LINE {exc.status}" if exc.status else "LINE")


def _media_messages(ctx: Context, att: dict) -> list[dict]:
    shaped = att.get("line")
    if shaped and shaped["kind"] == "audio":
        return [line_messages.audio(media.url(ctx, shaped["token"], shaped["name"]), shaped["duration"])]
    if shaped:
        build = line_messages.video if shaped["kind"] == "video" else line_messages.image
        return [build(media.url(ctx, shaped["token"], shaped["name"]),
                      media.url(ctx, shaped["preview_token"], shaped["preview_name"]))]
    url = media.url(ctx, att["token"], att["file_name"])
    return [line_messages.text(ctx.texts.render("relay/file_link", name=att["file_name"], url=url))]


def push(ctx: Context, item: OutboxItem, payload: dict) -> None:
    """An agent's answer pushed to the customer. The row's retry key makes a retry after a
    lost answer no second push."""
    conv, contact = conversation_of(ctx, item)
    link = linked(ctx, conv)
    if contact.blocked_at is not None:
        # LINE would answer 200 and deliver nothing: never report that as sent.
        raise Failure("the customer has blocked the LINE Official Account", retryable=False, reason="blocked")
    if "media" in payload:
        messages = _media_messages(ctx, payload["media"])
    else:
        messages = [line_messages.text(part) for part in line_messages.split_text(payload["text"])][:5]
    try:
        line_client(ctx, link, attempts=1).push(contact.source_id, messages, retry_key=item.retry_key)
    except LineApiError as exc:
        raise _failure(exc) from None
