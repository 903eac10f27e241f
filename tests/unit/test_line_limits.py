"""LINE's message rules the client enforces before sending (reference "Message objects")."""

from __future__ import annotations

import pytest

from cxbot.line import messages as lm


def _template(alt: str) -> dict:
    return {"type": "template", "altText": alt,
            "template": {"type": "confirm", "text": "ok?", "actions": [{"type": "message", "label": "y", "text": "y"}]}}


@pytest.mark.parametrize("kind", ["template", "imagemap", "flex"])
def test_alt_text_of_1500_characters_passes_and_1501_is_refused(kind):
    def message(alt: str) -> dict:
        if kind == "template":
            return _template(alt)
        if kind == "imagemap":
            return {"type": "imagemap", "baseUrl": "https://example.com/map", "altText": alt}
        return {"type": "flex", "altText": alt, "contents": {"type": "bubble"}}

    lm.check_messages([message("あ" * 1500)])
    with pytest.raises(lm.LineMessageLimitError) as err:
        lm.check_messages([message("あ" * 1501)])
    assert err.value.field == "messages[0].altText" and err.value.limit == 1500


def test_image_urls_must_be_percent_encoded():
    lm.image("https://example.com/media/t/%E5%9C%B0%E5%9B%B3.png")
    for raw in ("https://example.com/media/t/地図.png", "https://example.com/media/t/my map.png"):
        with pytest.raises(lm.LineMessageLimitError) as err:
            lm.image(raw)
        assert err.value.field == "message.originalContentUrl" and err.value.limit == "percent-encoded"


@pytest.mark.parametrize("duration", [0, -1, 1.5, "1500", True, None])
def test_an_audio_message_needs_its_length_in_whole_milliseconds_above_0(duration):
    assert lm.audio("https://example.com/a.m4a", 1500)["duration"] == 1500
    with pytest.raises(lm.LineMessageLimitError) as err:
        lm.check_message({"type": "audio", "originalContentUrl": "https://example.com/a.m4a", "duration": duration})
    assert err.value.field == "message.duration"
