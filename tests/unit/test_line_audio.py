"""Agents' audio told by its bytes for LINE: an mp3 or AAC m4a of at most 200 MB with a
readable length goes as an audio message; anything else says why not."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest

from cxbot.line import audio

FIXTURES = Path(__file__).parents[1] / "fixtures"
M4A = (FIXTURES / "tone-1500ms.m4a").read_bytes()
MP3 = (FIXTURES / "tone-1200ms.mp3").read_bytes()


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    return out.getvalue()


def _without_length(m4a: bytes) -> bytes:
    """The m4a with its sound track's length (mdhd, version 0) set to 0, as a recorder that
    writes fragments leaves it."""
    at = m4a.index(b"mdhd") + 4 + 4 + 8 + 4  # version and flags, two times, the time scale
    return m4a[:at] + struct.pack(">I", 0) + m4a[at + 4:]


@pytest.mark.parametrize("data, content_type, millis", [(M4A, "audio/mp4", 1500), (MP3, "audio/mpeg", 1200)])
def test_an_mp3_or_m4a_goes_with_its_type_and_length(data, content_type, millis):
    fit = audio.for_line(data)
    assert fit.content_type == content_type and abs(fit.duration - millis) <= 100


@pytest.mark.parametrize("data, reason, is_audio", [
    (_wav(), "format", True),
    (b"%PDF-1.7\n" + b"\x00" * 64, "format", False),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64, "format", False),
    (_without_length(M4A), "no_duration", True),
])
def test_other_bytes_say_why_they_cannot_be_an_audio_message(data, reason, is_audio):
    with pytest.raises(audio.AudioUnfit) as caught:
        audio.for_line(data)
    assert (caught.value.reason, caught.value.audio) == (reason, is_audio)


def test_an_mp3_over_the_limit_is_too_large():
    with pytest.raises(audio.AudioUnfit) as caught:
        audio.for_line(MP3, most=len(MP3) - 1)
    assert caught.value.reason == "too_large"
