"""A bot's profile image as LINE WORKS takes it: `photoUrl` must serve a PNG, 640×640
recommended (reference §4.1). The admin may send a PNG or a JPEG of any size; what it is
is read from its bytes by Pillow, never from its name, and it is made a 640×640 PNG."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

PROFILE_SIZE = (640, 640)
ACCEPTED_FORMATS = ("PNG", "JPEG")


class NotAnImage(ValueError):
    """The bytes are not a PNG or JPEG image Pillow can read."""


def profile_png(data: bytes) -> bytes:
    """The image as a 640×640 PNG: scaled to fit and centred on a transparent square, so
    a wide logo keeps its edges (a crop would cut them)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ACCEPTED_FORMATS:
                raise NotAnImage(f"{img.format or 'unknown'} is not PNG or JPEG")
            # A phone's JPEG is often stored sideways with an EXIF note saying so.
            upright = ImageOps.exif_transpose(img).convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from None
    square = ImageOps.pad(upright, PROFILE_SIZE, method=Image.Resampling.LANCZOS, color=(0, 0, 0, 0))
    out = io.BytesIO()
    square.save(out, "PNG", optimize=True)
    return out.getvalue()


def plain_png(size: int = 640, rgb: tuple[int, int, int] = (0x1d, 0xb4, 0x46)) -> bytes:
    """A plain square PNG (LINE WORKS requires a photo; a bot made without one gets this)."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), rgb).save(out, "PNG", optimize=True)
    return out.getvalue()
