"""Metadata removed from image files without touching their pixels: byte-level, no decoding, no Pillow.

A member's photo can carry where and when it was taken (EXIF with GPS), the camera and editing history (XMP),
captions and names (IPTC, comments, PNG text). None of it changes the pixels, so the segments and chunks that
hold it are cut out and everything else is copied byte for byte:

- JPEG: APP1 (EXIF, XMP), APP13 (IPTC/Photoshop), COM and every other APPn segment go, except APP0 (JFIF),
  APP2 holding an ICC profile, and APP14 (Adobe: the colour transform). The scans are copied verbatim. What
  follows the end-of-image marker goes too: the further pictures of a multi-picture (MPO) file, each with
  its own EXIF, and the videos and vendor data phones append; with them goes the APP2 "MPF" index of those
  pictures, so the result is a plain JPEG of the first picture, which is all a decoder shows.
- PNG: eXIf, tEXt, zTXt, iTXt and tIME chunks go; every other chunk is copied with its CRC, and nothing
  after IEND is kept.
- WebP: EXIF and "XMP " chunks go, their VP8X flags are cleared and the RIFF size is fixed; nothing after
  the RIFF container is kept. A simple (VP8/VP8L) file holds no metadata and comes back as is.

`strip_metadata` returns the very same bytes object when there is nothing to remove, and raises
`UnreadableStructure` when the file's structure cannot be walked (the caller decides what to do instead).
"""

from __future__ import annotations

import re
import struct
from typing import Final

from bot.images.formats import ImageType

_JPEG_APP0: Final = 0xE0
_JPEG_APP2: Final = 0xE2
_JPEG_APP14: Final = 0xEE
_JPEG_APPN: Final = frozenset(range(0xE0, 0xF0))
_JPEG_COM: Final = 0xFE
_JPEG_SOS: Final = 0xDA
_JPEG_EOI: Final = 0xD9
# Markers without a length field once inside the file: TEM and the restart markers.
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})
_ICC_PROFILE: Final = b"ICC_PROFILE\x00"
# Inside entropy-coded data a 0xFF byte is followed by 0x00 (stuffing), a restart marker or another 0xFF
# (fill); anything else is the next marker, which is where libjpeg stops reading the scan too.
_JPEG_SCAN_END: Final = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_METADATA: Final = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})

_WEBP_METADATA: Final = frozenset({b"EXIF", b"XMP "})
_VP8X_EXIF_FLAG: Final = 0x08
_VP8X_XMP_FLAG: Final = 0x04

Span = tuple[int, int]


class UnreadableStructure(ValueError):
    """The file's segments or chunks do not add up, so what is metadata cannot be told from what is not."""


def strip_metadata(data: bytes, kind: ImageType) -> bytes:
    """`data` without its metadata, pixels untouched; `data` itself when there is nothing to remove."""
    if kind == "jpeg":
        return _strip_jpeg(data)
    if kind == "png":
        return _strip_png(data)
    return _strip_webp(data)


def _strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise UnreadableStructure("no JPEG start-of-image marker")
    kept: list[Span] = [(0, 2)]
    position = 2
    while position < len(data):
        start = position
        while data[position : position + 2] == b"\xff\xff":  # fill bytes before a marker
            position += 1
        if position + 2 > len(data) or data[position] != 0xFF:
            raise UnreadableStructure(f"no JPEG marker at byte {position}")
        marker = data[position + 1]
        if marker == _JPEG_EOI:
            kept.append((start, position + 2))
            break
        if marker in _JPEG_STANDALONE:
            kept.append((start, position + 2))
            position += 2
            continue
        if position + 4 > len(data):
            raise UnreadableStructure(f"JPEG segment 0x{marker:02X} cut short")
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise UnreadableStructure(f"JPEG segment 0x{marker:02X} claims {length} bytes")
        if not _is_jpeg_metadata(marker, data[position + 4 : end]):
            kept.append((start, end))
        position = end
        if marker == _JPEG_SOS:
            scan_end = _JPEG_SCAN_END.search(data, position)
            position = len(data) if scan_end is None else scan_end.start()
            kept.append((end, position))
    return _joined(data, kept)


def _is_jpeg_metadata(marker: int, payload: bytes) -> bool:
    if marker == _JPEG_COM:
        return True
    if marker == _JPEG_APP2:
        return not payload.startswith(_ICC_PROFILE)
    return marker in _JPEG_APPN and marker not in (_JPEG_APP0, _JPEG_APP14)


def _strip_png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise UnreadableStructure("no PNG signature")
    kept: list[Span] = [(0, len(_PNG_SIGNATURE))]
    position = len(_PNG_SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise UnreadableStructure(f"PNG chunk at byte {position} cut short")
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunk_type = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data) or not chunk_type.isalpha():
            raise UnreadableStructure(f"PNG chunk {chunk_type!r} at byte {position} does not fit")
        if chunk_type not in _PNG_METADATA:
            kept.append((position, end))
        position = end
        if chunk_type == b"IEND":
            break
    return _joined(data, kept)


def _strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise UnreadableStructure("no RIFF WEBP header")
    (riff_size,) = struct.unpack("<I", data[4:8])
    riff_end = 8 + riff_size
    if riff_size < 4 or riff_end > len(data):
        raise UnreadableStructure(f"RIFF size {riff_size} does not fit the {len(data)} bytes")
    chunks: list[Span] = []
    flags_offset: int | None = None  # where the VP8X flags byte lands in the kept chunks
    dropped = False
    position = 12
    while position < riff_end:
        if position + 8 > riff_end:
            raise UnreadableStructure(f"WebP chunk at byte {position} cut short")
        fourcc = data[position : position + 4]
        (size,) = struct.unpack("<I", data[position + 4 : position + 8])
        end = position + 8 + size + (size & 1)  # chunks are padded to an even length
        if end > riff_end:
            raise UnreadableStructure(f"WebP chunk {fourcc!r} at byte {position} does not fit")
        if fourcc in _WEBP_METADATA:
            dropped = True
        else:
            if fourcc == b"VP8X" and flags_offset is None:
                if size < 10:
                    raise UnreadableStructure(f"VP8X chunk of {size} bytes")
                flags_offset = sum(kept_end - kept_start for kept_start, kept_end in chunks) + 8
            chunks.append((position, end))
        position = end
    if not dropped and riff_end == len(data):
        return data
    body = bytearray().join(memoryview(data)[start:end] for start, end in chunks)
    if flags_offset is not None:
        body[flags_offset] &= ~(_VP8X_EXIF_FLAG | _VP8X_XMP_FLAG) & 0xFF
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + bytes(body)


def _joined(data: bytes, kept: list[Span]) -> bytes:
    """The kept byte ranges of `data` end to end; `data` itself when they cover all of it."""
    if sum(end - start for start, end in kept) == len(data):
        return data
    view = memoryview(data)
    return b"".join(view[start:end] for start, end in kept)
