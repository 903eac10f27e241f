"""Agents' images made into what LINE shows: JPEG or PNG, original ≤ 10 MB, preview ≤ 1 MB."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from cxbot.line import images


def _encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _noise(side: int, mode: str = "RGB") -> Image.Image:
    return Image.frombytes(mode, (side, side), os.urandom(side * side * len(mode)))


def test_a_jpeg_or_png_that_fits_is_kept_byte_for_byte_with_a_separate_jpeg_preview():
    for fmt, ctype in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        data = _encoded(_noise(64), fmt)
        shaped = images.for_line(data)
        assert (shaped.original, shaped.original_type) == (data, ctype)
        assert shaped.preview_type == "image/jpeg" and shaped.preview.startswith(b"\xff\xd8\xff")


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "BMP", "TIFF"])
def test_other_formats_are_converted_by_their_bytes(fmt):
    shaped = images.for_line(_encoded(Image.new("RGB", (40, 30), (200, 10, 10)), fmt))
    assert shaped.original_type == "image/jpeg" and shaped.original.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(shaped.original)).size == (40, 30)


def test_transparency_is_kept_as_png():
    shaped = images.for_line(_encoded(Image.new("RGBA", (20, 20), (0, 0, 0, 0)), "WEBP"))
    assert shaped.original_type == "image/png" and shaped.original.startswith(b"\x89PNG")


def test_too_big_an_image_is_shrunk_under_the_limits():
    data = _encoded(_noise(400), "PNG")  # noise: about 480 kB however it is encoded
    shaped = images.for_line(data, original_max=120_000, preview_max=30_000)
    assert len(shaped.original) <= 120_000 and shaped.original_type == "image/jpeg"
    assert len(shaped.preview) <= 30_000
    assert images.ORIGINAL_MAX == 10 * 1024 * 1024 and images.PREVIEW_MAX == 1024 * 1024


def test_the_preview_is_at_most_1024_pixels_a_side():
    shaped = images.for_line(_encoded(Image.new("RGB", (3000, 1500), (1, 2, 3)), "PNG"))
    assert Image.open(io.BytesIO(shaped.preview)).size == (1024, 512)


def test_bytes_that_are_no_image_are_unfit():
    for data in (b"%PDF-1.4 not an image", b"\x89PNG\r\n\x1a\n broken", b""):
        with pytest.raises(images.ImageUnfit) as err:
            images.for_line(data)
        assert err.value.reason == "unreadable"


def test_a_video_preview_is_a_jpeg_within_1_mb():
    data = images.video_preview()
    assert data.startswith(b"\xff\xd8\xff") and len(data) <= images.PREVIEW_MAX
