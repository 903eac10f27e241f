"""What the LINE app finds behind the URLs of an image, video or audio message an Official
Account sent (reference "Message objects"): the Messaging API answers the push 200 without
looking, and the user's app fetches the files to show them.

- image: `originalContentUrl` JPEG or PNG, at most 10 MB; `previewImageUrl` JPEG or PNG,
  at most 1 MB;
- video: `originalContentUrl` mp4, at most 200 MB; `previewImageUrl` as an image's preview;
- audio: `originalContentUrl` mp3 or m4a, at most 200 MB: mutagen must read it as MPEG
  audio frames, or as MP4 whose sound track is AAC (what m4a means), with a length.

Each URL must answer 200 with a Content-Type of an allowed format and bytes that are that
format. The docs name the formats, not the header: that a wrong Content-Type is not shown
is the sandbox's reading. A message that breaks a rule is kept in the chat with
`problems` (what the user would see as a broken image), so tests can tell.
"""

from __future__ import annotations

import io

import httpx
import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

MB = 1024 * 1024
FETCH_TIMEOUT = 5.0


def _jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff")


def _png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def _mp4(data: bytes) -> bool:  # ISO base media: a box whose type is "ftyp" comes first
    return data[4:8] == b"ftyp"


def _mp3(data: bytes) -> bool:
    return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def _audio(data: bytes, kind: type) -> bool:
    """A player's view: the container parses, has a length, and an MP4's sound is AAC (an MP4
    with only a picture, or a bare ID3 tag, passes a look at the first bytes and plays nothing)."""
    try:
        found = mutagen.File(io.BytesIO(data), options=[kind])
    except mutagen.MutagenError:
        return False
    if found is None or found.info.length <= 0:
        return False
    return kind is MP3 or str(found.info.codec).startswith("mp4a")


def _mp3_audio(data: bytes) -> bool:
    return _mp3(data) and _audio(data, MP3)


def _m4a(data: bytes) -> bool:
    return _mp4(data) and _audio(data, MP4)


IMAGE = {"image/jpeg": _jpeg, "image/png": _png}
VIDEO = {"video/mp4": _mp4}
AUDIO = {"audio/mpeg": _mp3_audio, "audio/mp3": _mp3_audio, "audio/mp4": _m4a, "audio/m4a": _m4a,
         "audio/x-m4a": _m4a}
RULES = {
    "image": (("originalContentUrl", IMAGE, 10 * MB), ("previewImageUrl", IMAGE, 1 * MB)),
    "video": (("originalContentUrl", VIDEO, 200 * MB), ("previewImageUrl", IMAGE, 1 * MB)),
    "audio": (("originalContentUrl", AUDIO, 200 * MB),),
}


def _fetch(url: str, most: int) -> tuple[int, str, bytes]:
    """(status, content type, up to `most` + 1 bytes); status 0 when nothing answered."""
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT, follow_redirects=True, trust_env=False) as resp:
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > most:
                    break
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return resp.status_code, ctype, bytes(body)
    except httpx.HTTPError:
        return 0, "", b""


def problems(message: dict) -> list[str]:
    """Why the user's app could not show `message` (empty when it can)."""
    found = []
    for prop, formats, most in RULES.get(message.get("type"), ()):
        url = message.get(prop)
        if not isinstance(url, str):
            continue
        status, ctype, data = _fetch(url, most)
        if status != 200:
            found.append(f"{prop}: {'no answer' if status == 0 else f'answered {status}'}")
        elif ctype not in formats:
            found.append(f"{prop}: Content-Type {ctype or 'none'} is not one of {', '.join(formats)}")
        elif not formats[ctype](data):
            found.append(f"{prop}: the bytes are not {ctype}")
        elif len(data) > most:
            found.append(f"{prop}: over {most // MB} MB")
    return found
