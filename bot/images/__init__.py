"""Pillow at the edges of the bot: attachments checked before they reach Ideogram, results fitted to Discord.

- `check_announced`: the cheap pre-download check of Discord's declared content type and size.
- `prepare_input`: type by content, byte and pixel limits (decompression-bomb guard from the header, before
  decoding), a full decode, EXIF orientation applied, the first frame of an animation, metadata (EXIF, GPS,
  XMP, text) removed without re-encoding where possible.
- `prepare_mask`: any mask to a pure black (edit) / white (keep) PNG of the image's size; `invert`; all white
  refused.
- `square_for_reframe`: centre-crops a non-square `/reframe` input.
- `fit_for_upload`: re-encodes only what exceeds the upload limit (the fast path never decodes).

Heavy work runs in `asyncio.to_thread`; Pillow's global settings are never changed.
"""

from bot.images.errors import ImageRejected, UploadTooLarge
from bot.images.formats import ImageType, sha256_hex, sniff_type
from bot.images.inputs import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    PreparedImage,
    check_announced,
    prepare_input,
    prepare_mask,
    square_for_reframe,
)
from bot.images.upload import FittedImage, fit_for_upload

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "FittedImage",
    "ImageRejected",
    "ImageType",
    "PreparedImage",
    "UploadTooLarge",
    "check_announced",
    "fit_for_upload",
    "prepare_input",
    "prepare_mask",
    "sha256_hex",
    "sniff_type",
    "square_for_reframe",
]
