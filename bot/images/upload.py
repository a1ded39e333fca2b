"""Generated images on their way to Discord: unchanged when they fit, re-encoded smaller when they do not."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from bot.i18n import _
from bot.images.codec import DECODE_ERRORS, encode_to_fit
from bot.images.errors import UploadTooLarge
from bot.images.formats import EXTENSION, PIL_FORMAT, megabytes, with_extension


@dataclass(frozen=True, slots=True)
class FittedImage:
    """Bytes to upload and the file name to give them (its extension matches the bytes)."""

    data: bytes
    filename: str
    reencoded: bool


async def fit_for_upload(data: bytes, *, limit_bytes: int, filename: str) -> FittedImage:
    """`data` itself when it is within `limit_bytes`, without decoding it; otherwise a smaller re-encoding.

    Re-encoding goes to JPEG (WebP when the image has transparency), stepping quality down and then scaling
    down, and renames the file to match ("1.png" -> "1.jpg"). Raises `UploadTooLarge` when nothing fits.
    """
    if len(data) <= limit_bytes:
        return FittedImage(data, filename, reencoded=False)
    return await asyncio.to_thread(_fit, data, limit_bytes, filename)


def _fit(data: bytes, limit_bytes: int, filename: str) -> FittedImage:
    size, limit = megabytes(len(data)), megabytes(limit_bytes)
    try:
        with Image.open(io.BytesIO(data), formats=list(PIL_FORMAT.values())) as image:
            image.load()
            # Re-encoding drops EXIF, so an orientation tag has to be baked into the pixels.
            ImageOps.exif_transpose(image, in_place=True)
            encoded = encode_to_fit(image, limit_bytes)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, *DECODE_ERRORS) as exc:
        raise UploadTooLarge(
            _(
                "A generated image is {size}, over this channel's {limit} upload limit, and could not be read "
                "to shrink it.",
                size=size,
                limit=limit,
            )
        ) from exc
    if encoded is None:
        raise UploadTooLarge(
            _(
                "A generated image is {size}, over this channel's {limit} upload limit, and could not be shrunk "
                "to fit.",
                size=size,
                limit=limit,
            )
        )
    return FittedImage(encoded.data, with_extension(filename, EXTENSION[encoded.kind]), reencoded=True)
