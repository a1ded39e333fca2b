"""Attachments on their way to Ideogram: images checked and turned upright, masks made pure black and white.

Decisions (documented for the cogs and the pipeline):
- Animated PNG/WebP: the first frame is used (a still image is what every command wants), re-encoded as a
  still image of the same type, and `PreparedImage.adjustments` says so. JPEG "multi-picture" files (MPO,
  from phones) are ordinary JPEGs to Ideogram: the first picture is sent, the others are cut off with the
  rest of the metadata.
- Metadata (EXIF with GPS, XMP, IPTC, comments, PNG text) never reaches Ideogram, and the replies do not
  mention its removal. When nothing needs re-encoding it is cut out losslessly (`bot.images.metadata`: the
  pixels' bytes are copied as they are, the ICC profile kept); the original bytes object itself is sent
  when there was none. A file whose structure that byte-level walk cannot follow (Pillow decoded it, so it
  is merely odd) is re-encoded instead, as its metadata could not be located and sending it is not an option.
- EXIF orientation: applied (the image is sent as the member saw it) by re-encoding, which writes no metadata.
- Masks follow Ideogram: black = edit, white = keep. Transparent pixels count as white (keep), so black
  strokes painted on a transparent layer mark what to edit. Grey is thresholded at 50%. A mask whose shape
  (aspect ratio) differs from the image's is refused rather than stretched over the wrong area; one of the
  same shape but another size is resized (nearest neighbour, so it stays two-tone).
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps

from bot.i18n import Message, _
from bot.images.codec import Encoded, band_extrema, encode, not_accepted, open_checked, reencode, too_big
from bot.images.errors import ImageRejected
from bot.images.formats import (
    EXTENSION,
    MIME,
    PIL_FORMAT,
    ImageType,
    describe_announced,
    megabytes,
    sniff_type,
    with_extension,
)
from bot.images.metadata import UnreadableStructure, strip_metadata

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS: Final = 40_000_000
_ORIENTATION_TAG: Final = 0x0112
# EXIF orientations 2-8 flip or rotate; 1 (and anything missing or invalid) means the pixels are upright.
_TURNING_ORIENTATIONS: Final = frozenset(range(2, 9))
_MASK_THRESHOLD: Final = 128  # luminance below this is black (edit)
_ASPECT_TOLERANCE: Final = 0.02
_TO_BLACK_AND_WHITE: Final = [0] * _MASK_THRESHOLD + [255] * (256 - _MASK_THRESHOLD)
_INVERTED: Final = [255] * _MASK_THRESHOLD + [0] * (256 - _MASK_THRESHOLD)


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An attachment ready for the API. `adjustments` are short phrases for the reply ("used the first frame…")."""

    data: bytes
    mime: str
    width: int
    height: int
    filename: str
    adjustments: tuple[Message, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def check_announced(*, option: str, content_type: str | None, size: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """The cheap check on what Discord announces for an attachment, before it is downloaded.

    A missing content type passes (the content decides later, in `prepare_input`); so does anything the
    announcement gets wrong in the member's favour, because `prepare_input` checks the bytes themselves.
    """
    what = describe_announced(content_type) if content_type else None
    if what is not None:
        raise not_accepted(option, what)
    if size > max_bytes:
        raise too_big(option, size, max_bytes)


async def prepare_input(
    data: bytes,
    *,
    option: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    filename: str | None = None,
) -> PreparedImage:
    """Check an attachment by content and limits, apply EXIF orientation, drop metadata; raise `ImageRejected`.

    `option` names the command option in messages ("image", "style_reference"); `filename`, when given,
    lends its stem to the upload's file name (the extension always matches the content).
    """
    return await asyncio.to_thread(_prepare_input, data, option, max_bytes, max_pixels, filename or option)


def _prepare_input(data: bytes, option: str, max_bytes: int, max_pixels: int, filename: str) -> PreparedImage:
    image, kind = open_checked(data, option=option, max_bytes=max_bytes, max_pixels=max_pixels)
    with image:
        adjustments: list[Message] = []
        if kind != "jpeg" and getattr(image, "is_animated", False):
            adjustments.append(_("used the first frame of the animation"))
        if image.getexif().get(_ORIENTATION_TAG) in _TURNING_ORIENTATIONS:
            upright = ImageOps.exif_transpose(image)
            adjustments.append(_("turned upright as its EXIF orientation says"))
        elif adjustments:
            upright = image
        elif (stripped := _without_metadata(data, kind, option)) is not None:
            width, height = image.size
            return PreparedImage(
                stripped, MIME[kind], width, height, with_extension(filename, EXTENSION[kind], fallback_stem=option)
            )
        else:
            upright = image
        encoded = reencode(upright, kind, max_bytes)
    if encoded is None:
        raise ImageRejected(
            _(
                "The `{option}` could not be re-encoded under {limit}; attach a smaller image.",
                option=option,
                limit=megabytes(max_bytes),
            ),
            option=option,
        )
    if encoded.kind != kind or encoded.size != upright.size:
        adjustments.append(_("re-encoded to stay under {limit}", limit=megabytes(max_bytes)))
    return _prepared(encoded, filename, option, tuple(adjustments))


def _without_metadata(data: bytes, kind: ImageType, option: str) -> bytes | None:
    """`data` with its metadata cut out losslessly; None when its structure cannot be walked."""
    try:
        stripped = strip_metadata(data, kind)
    except UnreadableStructure as exc:
        log.info("Re-encoding the %s %s: its metadata cannot be cut out (%s)", kind, option, exc)
        return None
    if stripped is not data:
        log.debug("Removed %d bytes of metadata from the %s %s", len(data) - len(stripped), kind, option)
    return stripped


def _prepared(encoded: Encoded, filename: str, option: str, adjustments: tuple[Message, ...]) -> PreparedImage:
    width, height = encoded.size
    name = with_extension(filename, EXTENSION[encoded.kind], fallback_stem=option)
    return PreparedImage(encoded.data, MIME[encoded.kind], width, height, name, adjustments)


async def prepare_mask(
    mask: bytes,
    *,
    size: tuple[int, int],
    invert: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    option: str = "mask",
) -> bytes:
    """A pure black/white grayscale PNG of exactly `size` (the prepared image's), black = edit.

    `invert` swaps black and white after thresholding (the `/edit` option `invert_mask`). An all-white result
    (nothing to edit) is refused; all black (edit everything) is allowed.
    """
    return await asyncio.to_thread(
        _prepare_mask, mask, size=size, invert=invert, max_bytes=max_bytes, max_pixels=max_pixels, option=option
    )


def _prepare_mask(
    mask: bytes, *, size: tuple[int, int], invert: bool, max_bytes: int, max_pixels: int, option: str
) -> bytes:
    image, _kind = open_checked(mask, option=option, max_bytes=max_bytes, max_pixels=max_pixels)
    with image:
        gray = _luminance(ImageOps.exif_transpose(image))
    if gray.size != size:
        _check_same_shape(gray.size, size, option=option)
        gray = gray.resize(size, Image.Resampling.NEAREST)
    two_tone = gray.point(_INVERTED if invert else _TO_BLACK_AND_WHITE)
    if band_extrema(two_tone)[0] == 255:
        message = (
            _(
                "The `{option}` is all white with `invert_mask`, so there is nothing to edit; "
                "paint the areas to keep black, or leave out `invert_mask`.",
                option=option,
            )
            if invert
            else _(
                "The `{option}` is all white, so there is nothing to edit; paint the areas to change black.",
                option=option,
            )
        )
        raise ImageRejected(message, option=option)
    return encode(two_tone, "png")


def _luminance(image: Image.Image) -> Image.Image:
    """8-bit grayscale of the mask, transparent areas composited onto white (keep)."""
    if "A" in image.getbands() or "transparency" in image.info:
        over_white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        over_white.alpha_composite(image.convert("RGBA"))
        return over_white.convert("L")
    if image.mode in ("L", "RGB"):
        return image.convert("L")
    if image.mode.startswith("I"):  # 16-bit grey: scale to 8 bits (a plain convert would clip at 255)
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB").convert("L")


def _check_same_shape(mask_size: tuple[int, int], image_size: tuple[int, int], *, option: str) -> None:
    (mask_width, mask_height), (width, height) = mask_size, image_size
    ratio, wanted = mask_width / mask_height, width / height
    if abs(ratio - wanted) > _ASPECT_TOLERANCE * wanted:
        raise ImageRejected(
            _(
                "The `{option}` is {mask_width}×{mask_height} but the image is {width}×{height}; "
                "draw the mask over a copy of the image so they have the same shape.",
                option=option,
                mask_width=mask_width,
                mask_height=mask_height,
                width=width,
                height=height,
            ),
            option=option,
        )


async def square_for_reframe(image: PreparedImage, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[PreparedImage, bool]:
    """Centre-crop a non-square image to a square (`/reframe` wants one); the flag says whether it cropped."""
    if image.width == image.height:
        return image, False
    return await asyncio.to_thread(_square, image, max_bytes), True


def _square(prepared: PreparedImage, max_bytes: int) -> PreparedImage:
    kind = sniff_type(prepared.data)
    assert kind is not None, "a PreparedImage always holds a PNG, JPEG or WebP"
    with Image.open(io.BytesIO(prepared.data), formats=[PIL_FORMAT[kind]]) as image:
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        encoded = reencode(image.crop((left, top, left + side, top + side)), kind, max_bytes)
    if encoded is None:  # unreachable in practice: a crop has fewer pixels than an image that already fitted
        raise ImageRejected(_("The `image` could not be cropped to a square; attach a square image."), option="image")
    note = _(
        "centre-cropped from {width}×{height} to {side}×{side} (reframe needs a square image)",
        width=width,
        height=height,
        side=side,
    )
    return _prepared(encoded, prepared.filename, "image", (*prepared.adjustments, note))
