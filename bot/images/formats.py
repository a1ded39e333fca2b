"""Byte-level facts about image files: the type by its magic bytes and the size its header claims.

Nothing here decodes pixels, so these are safe and cheap on any bytes a member sends, and they run before
Pillow is allowed near the data.
"""

from __future__ import annotations

import hashlib
import re
import struct
from typing import Final, Literal

from bot.i18n import Message, _

ImageType = Literal["png", "jpeg", "webp"]

MIME: Final[dict[ImageType, str]] = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
EXTENSION: Final[dict[ImageType, str]] = {"png": "png", "jpeg": "jpg", "webp": "webp"}
PIL_FORMAT: Final[dict[ImageType, str]] = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
LABEL: Final[dict[ImageType, str]] = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

# What a refused file is, said so it completes "The `image` {what}; attach a PNG, JPEG or WebP." (the verb is in
# the phrase: Chinese says "is a GIF" and "is not an image" with different words).
_GIF: Final = _("is a GIF")
_TIFF: Final = _("is a TIFF")
_VIDEO: Final = _("is a video")
_HEIC: Final = _("is a HEIC")
_AVIF: Final = _("is an AVIF")
_SVG: Final = _("is an SVG")
_PDF: Final = _("is a PDF")
_BMP: Final = _("is a BMP")

# Signatures of things members attach that Ideogram refuses, so the refusal can say what the file is.
_OTHER_SIGNATURES: Final[tuple[tuple[bytes, Message], ...]] = (
    (b"GIF87a", _GIF),
    (b"GIF89a", _GIF),
    (b"BM", _BMP),
    (b"II*\x00", _TIFF),
    (b"MM\x00*", _TIFF),
    (b"\x00\x00\x01\x00", _("is an ICO")),
    (b"%PDF", _PDF),
    (b"8BPS", _("is a Photoshop file")),
    (b"\x1aE\xdf\xa3", _VIDEO),
)
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"})
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})

# JPEG start-of-frame markers (those that carry the frame size): C0-CF except DHT (C4), JPG (C8), DAC (CC).
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers with no length field: TEM, RST0-7, SOI.
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8), 0xD8})


def sniff_type(data: bytes) -> ImageType | None:
    """The image type by magic bytes: one of the three Ideogram accepts, else None (GIF, BMP, junk…)."""
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def describe_unsupported(data: bytes) -> Message | None:
    """What an unsupported file is ("is a GIF"), when its signature says; else None."""
    for signature, what in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return what
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_BRANDS:
            return _HEIC
        if brand in _AVIF_BRANDS:
            return _AVIF
        return _VIDEO
    if data[:4] == b"RIFF":
        return _VIDEO if data[8:12] == b"AVI " else _("is not an image")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return _SVG
    return None


_ANNOUNCED_OTHERS: Final[dict[str, Message]] = {
    "image/gif": _GIF,
    "image/bmp": _BMP,
    "image/tiff": _TIFF,
    "image/heic": _HEIC,
    "image/heif": _HEIC,
    "image/avif": _AVIF,
    "image/svg+xml": _SVG,
    "application/pdf": _PDF,
}


def describe_announced(content_type: str) -> Message | None:
    """What a declared MIME type is when Ideogram refuses it ("is a GIF"); None for the three accepted types."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in ("image/jpg", "image/pjpeg") or mime in MIME.values():
        return None
    if mime.startswith("video/"):
        return _VIDEO
    return _ANNOUNCED_OTHERS.get(mime, _("is not a PNG, JPEG or WebP image"))


def header_size(data: bytes, kind: ImageType) -> tuple[int, int] | None:
    """(width, height) as the header claims, without decoding; None when the header cannot be read."""
    try:
        if kind == "png":
            return _png_size(data)
        if kind == "jpeg":
            return _jpeg_size(data)
        return _webp_size(data)
    except (struct.error, IndexError):
        return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended format: 24-bit canvas size minus one
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 ":  # lossy: 3-byte frame tag, start code, then 14-bit sizes
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature byte, then 14-bit sizes minus one
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def with_extension(filename: str, extension: str, *, fallback_stem: str = "image") -> str:
    """`filename` with its extension replaced, its stem reduced to characters safe in any multipart header."""
    stem = filename.rsplit(".", 1)[0] if "." in filename.lstrip(".") else filename
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:64]
    return f"{stem or fallback_stem}.{extension}"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of the bytes, for job records (which image was posted, byte for byte)."""
    return hashlib.sha256(data).hexdigest()


def megabytes(size: int) -> str:
    """A byte count for a message: "10 MB", "12.3 MB", "200 KB" (binary units, as Discord and Ideogram count)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    text = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
    return f"{text} MB"
