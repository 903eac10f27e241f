"""Audio as LINE takes it in an audio message (reference "Message objects" → Audio message):
an mp3 or m4a of at most 200 MB, with its length in milliseconds, which LINE requires.

    fit = for_line(data)     # AudioUnfit when it cannot go as an audio message
    fit.content_type         # "audio/mpeg" or "audio/mp4", what cxbot serves it as
    fit.duration             # milliseconds, > 0

The format and the length are read from the bytes (mutagen), never from a file name or a
claimed type. An m4a is AAC in MP4: an MP4 whose first sound track is another codec (ALAC,
AC-3) or that has no sound track is not one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

AUDIO_MAX = 200 * 1024 * 1024


class AudioUnfit(ValueError):
    """The bytes cannot become a LINE audio message: `reason` is "format" (not read as mp3 / m4a),
    "no_duration" (an mp3 / m4a whose length cannot be read) or "too_large"; `audio` says
    whether the bytes are audio at all (mutagen knows their format)."""

    def __init__(self, reason: str, detail: str, *, audio: bool):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.audio = audio


@dataclass(frozen=True)
class LineAudio:
    content_type: str
    duration: int


def _read(data: bytes):
    try:
        return mutagen.File(io.BytesIO(data))
    except mutagen.MutagenError:
        return None  # a known header over bytes mutagen cannot read (mutagen.File answers None for unknown ones)


def for_line(data: bytes, most: int = AUDIO_MAX) -> LineAudio:
    found = _read(data)
    if found is None:
        raise AudioUnfit("format", "not a format mutagen reads", audio=False)
    if isinstance(found, MP3):
        content_type = "audio/mpeg"
    elif isinstance(found, MP4) and str(found.info.codec).startswith("mp4a"):
        content_type = "audio/mp4"
    else:
        name = type(found).__name__
        codec = getattr(found.info, "codec", "")
        raise AudioUnfit("format", f"{name} {codec}".strip(), audio=bool(codec) or not isinstance(found, MP4))
    if len(data) > most:
        raise AudioUnfit("too_large", f"{len(data)} bytes, over {most}", audio=True)
    duration = round(found.info.length * 1000)
    if duration <= 0:
        raise AudioUnfit("no_duration", f"{type(found).__name__} of length {found.info.length}", audio=True)
    return LineAudio(content_type, duration)
