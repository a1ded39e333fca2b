"""Pillow behind guards: open member-supplied bytes safely, and encode images under a byte limit.

Everything here is synchronous and CPU-bound; the public coroutines run it in `asyncio.to_thread`.
Pillow's globals (`Image.MAX_IMAGE_PIXELS`, `ImageFile.LOAD_TRUNCATED_IMAGES`) are never changed: our own
pixel limit is checked from the header before Pillow parses anything, and again on Pillow's reading of it.
"""

from __future__ import annotations

import io
import math
from typing import Final, NamedTuple

from PIL import Image

from bot.i18n import Message, _, _n
from bot.images.errors import ImageRejected
from bot.images.formats import (
    PIL_FORMAT,
    ImageType,
    describe_unsupported,
    header_size,
    megabytes,
    sniff_type,
)

HIGH_QUALITY: Final = 95
# Lossy qualities tried in turn before scaling down; each step costs one encode.
_QUALITIES: Final = (90, 80, 70, 60)
_SCALED_QUALITY: Final = 75
_MAX_SCALE_STEPS: Final = 8
_MIN_SIDE: Final = 64
# Errors Pillow raises on damaged, truncated or malformed data.
DECODE_ERRORS: Final = (OSError, ValueError, SyntaxError, EOFError, IndexError)


class Encoded(NamedTuple):
    data: bytes
    kind: ImageType
    size: tuple[int, int]


def open_checked(data: bytes, *, option: str, max_bytes: int, max_pixels: int) -> tuple[Image.Image, ImageType]:
    """Check bytes, type, claimed size; then decode fully. Every refusal is an `ImageRejected`."""
    if not data:
        raise ImageRejected(_("The `{option}` is empty; attach a PNG, JPEG or WebP.", option=option), option=option)
    if len(data) > max_bytes:
        raise too_big(option, len(data), max_bytes)
    kind = sniff_type(data)
    if kind is None:
        what = describe_unsupported(data)
        if what is None:
            raise ImageRejected(
                _("The `{option}` is not an image we can use; attach a PNG, JPEG or WebP.", option=option),
                option=option,
            )
        raise not_accepted(option, what)
    claimed = header_size(data, kind)
    if claimed is not None:
        _check_pixels(claimed, option=option, max_pixels=max_pixels)
    try:
        image = Image.open(io.BytesIO(data), formats=[PIL_FORMAT[kind]])
        # Pillow's own reading of the size may differ from our header parse (e.g. a second JPEG frame).
        _check_pixels(image.size, option=option, max_pixels=max_pixels)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Only reachable when Pillow reads a larger size than our parser did and its global limit fires.
        raise ImageRejected(
            _("The `{option}` has too many pixels; attach a smaller PNG, JPEG or WebP.", option=option), option=option
        ) from exc
    except DECODE_ERRORS as exc:
        raise ImageRejected(
            _(
                "The `{option}` could not be read (it looks damaged or incomplete); attach a PNG, JPEG or WebP.",
                option=option,
            ),
            option=option,
        ) from exc
    return image, kind


def _check_pixels(size: tuple[int, int], *, option: str, max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageRejected(
            _(
                "The `{option}` is {width}×{height} ({pixels}); the limit is {limit}.",
                option=option,
                width=width,
                height=height,
                pixels=_pixels(width * height),
                limit=_pixels(max_pixels),
            ),
            option=option,
        )


def _pixels(count: int) -> Message:
    if count < 1_000_000:
        return _n("{count:,} pixel", "{count:,} pixels", count=count)
    megapixels = f"{count / 1_000_000:.1f}".removesuffix(".0")
    return _("{megapixels} megapixels", megapixels=megapixels)


def not_accepted(option: str, what: Message) -> ImageRejected:
    """An attachment of a type Ideogram refuses; `what` says what it is ("is a GIF")."""
    return ImageRejected(
        _("The `{option}` {what}; attach a PNG, JPEG or WebP.", option=option, what=what), option=option
    )


def too_big(option: str, size: int, max_bytes: int) -> ImageRejected:
    return ImageRejected(
        _(
            "The `{option}` is {size}; the limit is {limit}.",
            option=option,
            size=megabytes(size),
            limit=megabytes(max_bytes),
        ),
        option=option,
    )


def band_extrema(band: Image.Image) -> tuple[int, int]:
    """(min, max) of a single-band 8-bit image."""
    low, high = band.getextrema()
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        raise TypeError(f"expected a single-band image, got mode {band.mode}")
    return int(low), int(high)


def has_transparency(image: Image.Image) -> bool:
    """Whether any pixel is not fully opaque (an alpha channel that is all 255 does not count)."""
    if "A" in image.getbands():
        return band_extrema(image.getchannel("A"))[0] < 255
    return "transparency" in image.info


def encode(image: Image.Image, kind: ImageType, *, quality: int = HIGH_QUALITY) -> bytes:
    """Encode as `kind`, keeping the colour profile but no metadata (EXIF may hold a member's location).

    Pillow writes EXIF and XMP only when asked, but a JPEG comment it copies from `image.info` unless told not to.
    """
    options: dict[str, object] = {}
    icc_profile = image.info.get("icc_profile")
    if icc_profile:
        options["icc_profile"] = icc_profile
    if kind == "jpeg":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=quality, comment=b"")
    elif kind == "webp":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if has_transparency(image) else "RGB")
        options.update(quality=quality, method=4)
    elif image.mode == "CMYK":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, PIL_FORMAT[kind], **options)
    return buffer.getvalue()


def encode_to_fit(image: Image.Image, limit_bytes: int) -> Encoded | None:
    """JPEG (WebP when transparent) at falling quality, then scaled down, until ≤ limit; None if hopeless."""
    transparent = has_transparency(image)
    kind: ImageType = "webp" if transparent else "jpeg"
    working_mode = "RGBA" if transparent else ("L" if image.mode in ("1", "L") else "RGB")
    if image.mode != working_mode:
        image = image.convert(working_mode)
    data = b""
    for quality in _QUALITIES:
        data = encode(image, kind, quality=quality)
        if len(data) <= limit_bytes:
            return Encoded(data, kind, image.size)
    scale = 1.0
    for _step in range(_MAX_SCALE_STEPS):
        # Bytes grow roughly with pixel count, so scale each side by the square root of what is left to lose.
        scale *= min(0.9, 0.95 * math.sqrt(limit_bytes / len(data)))
        size = (round(image.width * scale), round(image.height * scale))
        if min(size) < _MIN_SIDE:
            return None
        data = encode(image.resize(size, Image.Resampling.LANCZOS), kind, quality=_SCALED_QUALITY)
        if len(data) <= limit_bytes:
            return Encoded(data, kind, size)
    return None


def reencode(image: Image.Image, kind: ImageType, limit_bytes: int) -> Encoded | None:
    """Encode as `kind` at high quality; if that is over the limit, fall back to `encode_to_fit`."""
    data = encode(image, kind)
    if len(data) <= limit_bytes:
        return Encoded(data, kind, image.size)
    return encode_to_fit(image, limit_bytes)
