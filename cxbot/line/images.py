"""Images as LINE takes them in an image message (reference "Message objects" → Image
message): the original JPEG or PNG of at most 10 MB, and a separate preview, JPEG or PNG
of at most 1 MB.

    shaped = for_line(data)           # ImageUnfit when it cannot be made to fit
    shaped.original, shaped.original_type, shaped.preview, shaped.preview_type
    video_preview()                   # the preview a video message needs, when no frame is at hand

The format is read from the bytes (Pillow), never from a file name or a claimed type.
A JPEG or PNG that already fits is kept byte for byte; anything else Pillow can read
(GIF, WebP, BMP, TIFF, ...) is converted, PNG when it has transparency, else JPEG.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

ORIGINAL_MAX = 10 * 1024 * 1024
PREVIEW_MAX = 1024 * 1024
PREVIEW_SIDE = 1024  # a preview is shown small in the chat; this keeps it well under 1 MB
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# Each try that does not fit shrinks the picture to this share of its sides.
SHRINK = 0.75
MAX_TRIES = 12


class ImageUnfit(ValueError):
    """The bytes cannot become a LINE image: `reason` is "unreadable" or "too_large"."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class LineImage:
    original: bytes
    original_type: str
    preview: bytes
    preview_type: str


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageUnfit("too_large", str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageUnfit("unreadable", f"{exc.__class__.__name__}: {exc}") from None
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _flat(image: Image.Image) -> Image.Image:
    """RGB, transparency laid on white (JPEG has no alpha)."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        back = Image.new("RGB", rgba.size, (255, 255, 255))
        back.paste(rgba, mask=rgba.getchannel("A"))
        return back
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _fit(image: Image.Image, fmt: str, limit: int, side: int | None = None) -> bytes:
    """`image` encoded as `fmt` in at most `limit` bytes, shrunk as needed."""
    if side is not None and max(image.size) > side:
        image = image.copy()
        image.thumbnail((side, side))
    for _ in range(MAX_TRIES):
        data = _encode(image, fmt)
        if len(data) <= limit:
            return data
        if fmt == "PNG":
            fmt, image = "JPEG", _flat(image)  # a photo-like PNG shrinks far better as JPEG
            continue
        width, height = image.size
        if width < 16 or height < 16:
            break
        image = image.resize((max(1, int(width * SHRINK)), max(1, int(height * SHRINK))))
    raise ImageUnfit("too_large", f"could not bring it under {limit} bytes")


def for_line(data: bytes, original_max: int = ORIGINAL_MAX, preview_max: int = PREVIEW_MAX) -> LineImage:
    image = _open(data)
    fmt = image.format
    if fmt in TYPES and len(data) <= original_max:
        original, original_fmt = data, fmt
    else:
        # Converted: turned upright as the camera meant (the EXIF orientation is not kept).
        upright = ImageOps.exif_transpose(image)
        original_fmt = "PNG" if _has_alpha(upright) else "JPEG"
        source = upright if original_fmt == "PNG" else _flat(upright)
        original = _fit(source, original_fmt, original_max)
        if original[:4] != b"\x89PNG":
            original_fmt = "JPEG"
    preview = _fit(_flat(ImageOps.exif_transpose(image)), "JPEG", preview_max, side=PREVIEW_SIDE)
    return LineImage(original, TYPES[original_fmt], preview, TYPES["JPEG"])


def video_preview(size: tuple[int, int] = (640, 360)) -> bytes:
    """A JPEG still with a play mark: a video message needs a preview image, and cxbot has no
    decoder to take a frame from the video (LINE shows a differently shaped preview behind it)."""
    image = Image.new("RGB", size, (40, 40, 40))
    width, height = size
    r = min(size) // 6
    cx, cy = width // 2, height // 2
    ImageDraw.Draw(image).polygon([(cx - r // 2, cy - r), (cx - r // 2, cy + r), (cx + r, cy)], fill=(255, 255, 255))
    return _encode(image, "JPEG")
