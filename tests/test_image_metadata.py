"""Metadata on members' images (EXIF with GPS, XMP, IPTC, comments, PNG text) never reaches Ideogram.

The images are made here with Pillow carrying the metadata a phone or an editor writes; what comes out of
`prepare_input` is checked by decoding it (no EXIF, same pixels, same ICC profile) and by walking its
segments or chunks (nothing of the dropped kinds left, everything else in place).
"""

from __future__ import annotations

import io
import logging
import random
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, JpegImagePlugin, PngImagePlugin

from bot.images import prepare_input
from bot.images.metadata import UnreadableStructure, strip_metadata

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
KINDS = list(PIL_FORMATS)
SIZE = (48, 32)
ICC_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
# Strings planted in the metadata; none may survive.
SECRETS = (b"WGS-84", b"SecretPhone", b"home of a member", b"xmp-secret", b"iptc-secret", b"png-secret")
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>xmp-secret</rdf:RDF></x:xmpmeta>'


def pixels(size: tuple[int, int] = SIZE, seed: int = 0) -> Image.Image:
    """Noise, so a lossy re-encode could not pass for the original by accident."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhone"
    exif[ExifTags.Base.ImageDescription] = "home of a member"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 10.5)
    gps[ExifTags.GPS.GPSMapDatum] = "WGS-84"
    return exif


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", 2 + len(payload)) + payload


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_everything(
    kind: str, image: Image.Image, *, orientation: int | None = None, save: dict[str, object] | None = None
) -> bytes:
    """`image` saved as `kind` (with `save` options) with an ICC profile and every sort of metadata it can carry."""
    options = {**(save or {}), "icc_profile": ICC_PROFILE, "exif": gps_exif(orientation)}
    if kind == "png":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "png-secret tEXt")
        text.add_text("Description", "png-secret zTXt", zip=True)
        text.add_itxt("Title", "png-secret iTXt", lang="en")
        text.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 17, 12, 30, 0))
        options["pnginfo"] = text
    else:
        options["xmp"] = XMP
    if kind == "jpeg":
        options["comment"] = b"home of a member"
    buffer = io.BytesIO()
    image.save(buffer, PIL_FORMATS[kind], **options)
    data = buffer.getvalue()
    if kind == "jpeg":  # Pillow writes no IPTC: put an APP13 right after SOI, where Photoshop does
        data = (
            data[:2]
            + jpeg_segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0biptc-secret")
            + data[2:]
        )
    return data


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of the segments before the first scan."""
    markers, position = [], 2
    while data[position + 1] != 0xDA:
        markers.append(data[position + 1])
        position += 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunks.append(data[position + 4 : position + 8])
        position += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[bytes]:
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8, "RIFF size"
    chunks, position = [], 12
    while position < len(data):
        (size,) = struct.unpack("<I", data[position + 4 : position + 8])
        chunks.append(data[position : position + 4])
        position += 8 + size + (size & 1)
    return chunks


def assert_no_metadata(data: bytes) -> None:
    image = decoded(data)
    assert len(image.getexif()) == 0
    assert not any(secret in data for secret in SECRETS), [secret for secret in SECRETS if secret in data]
    assert image.info.get("icc_profile") == ICC_PROFILE


# --- prepare_input: the lossless path -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_metadata_is_cut_out_and_the_pixels_are_the_originals(kind: str) -> None:
    data = with_everything(kind, pixels())
    original = decoded(data)
    assert len(original.getexif().get_ifd(ExifTags.IFD.GPSInfo)) == 3  # the test plants what it claims to

    prepared = await prepare_input(data, option="image")

    assert prepared.adjustments == ()
    assert prepared.mime == f"image/{kind}"
    assert len(prepared.data) < len(data)
    assert_no_metadata(prepared.data)
    result = decoded(prepared.data)
    assert (result.mode, result.size) == (original.mode, original.size)
    assert result.tobytes() == original.tobytes()


@pytest.mark.parametrize(
    ("mode", "app_kept"),
    [("RGB", {0xE0, 0xE2}), ("CMYK", {0xE2, 0xEE})],  # JFIF in an RGB JPEG; Adobe's transform flag in CMYK
)
async def test_jpeg_keeps_jfif_icc_and_adobe_and_drops_the_rest(mode: str, app_kept: set[int]) -> None:
    data = with_everything("jpeg", pixels().convert(mode))
    dropped = {0xE1, 0xED, 0xFE}
    assert app_kept | dropped <= set(jpeg_markers(data))

    prepared = await prepare_input(data, option="image")

    assert jpeg_markers(prepared.data) == [marker for marker in jpeg_markers(data) if marker not in dropped]
    assert decoded(prepared.data).tobytes() == decoded(data).tobytes()


async def test_png_keeps_every_chunk_but_the_metadata_ones_with_their_crcs() -> None:
    data = with_everything("png", pixels(), save={"dpi": (300, 300)})

    prepared = await prepare_input(data, option="image")

    assert png_chunks(prepared.data) == [b"IHDR", b"iCCP", b"pHYs", b"IDAT", b"IEND"]
    metadata = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
    assert [chunk for chunk in png_chunks(data) if chunk not in metadata] == png_chunks(prepared.data)
    PngImagePlugin.PngImageFile(io.BytesIO(prepared.data)).verify()  # checks every CRC


async def test_webp_drops_exif_and_xmp_and_clears_their_flags() -> None:
    data = with_everything("webp", pixels(), save={"lossless": True})
    assert webp_chunks(data) == [b"VP8X", b"ICCP", b"VP8L", b"EXIF", b"XMP "]

    prepared = await prepare_input(data, option="image")

    assert webp_chunks(prepared.data) == [b"VP8X", b"ICCP", b"VP8L"]
    flags = prepared.data[20]
    assert flags & 0x20, "ICC flag kept"
    assert not flags & 0x0C, "EXIF and XMP flags cleared"
    assert decoded(prepared.data).tobytes() == decoded(data).tobytes()


@pytest.mark.parametrize(
    "options",
    [{"progressive": True}, {"restart_marker_blocks": 1}, {"progressive": True, "restart_marker_rows": 1}],
    ids=["progressive", "restart-markers", "progressive-with-restarts"],
)
async def test_jpeg_scans_are_copied_whatever_their_layout(options: dict[str, object]) -> None:
    data = with_everything("jpeg", pixels((64, 40)), save={"quality": 90, **options})

    prepared = await prepare_input(data, option="image")

    assert_no_metadata(prepared.data)
    assert decoded(prepared.data).tobytes() == decoded(data).tobytes()


async def test_a_multi_picture_jpeg_becomes_its_first_picture_without_the_others() -> None:
    # Phones write MPO files: a JPEG, then further JPEGs after its end, each with its own EXIF.
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhone"
    first, second = pixels(seed=1), pixels(seed=2)
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second], exif=exif)
    data = buffer.getvalue()
    assert data.count(b"SecretPhone") == 2

    prepared = await prepare_input(data, option="image")

    assert b"SecretPhone" not in prepared.data
    assert b"MPF\x00" not in prepared.data  # the index of the pictures that are gone
    result = decoded(prepared.data)
    assert type(result) is JpegImagePlugin.JpegImageFile  # a plain JPEG, not an MPO
    assert result.tobytes() == decoded(data).tobytes()


@pytest.mark.parametrize("kind", ["jpeg", "png"])
async def test_bytes_after_the_end_of_the_image_are_dropped(kind: str) -> None:
    image = io.BytesIO()
    pixels().save(image, PIL_FORMATS[kind])
    data = image.getvalue() + b"appended video with home of a member"

    prepared = await prepare_input(data, option="image")

    assert prepared.data == image.getvalue()


@pytest.mark.parametrize(
    "options",
    [{}, {"icc_profile": ICC_PROFILE}, {"icc_profile": ICC_PROFILE, "lossless": True}, {"dpi": (72, 72)}],
    ids=["plain", "icc", "icc-lossless", "dpi"],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_images_without_metadata_are_the_same_bytes_object(kind: str, options: dict[str, object]) -> None:
    buffer = io.BytesIO()
    pixels().save(buffer, PIL_FORMATS[kind], **options)
    data = buffer.getvalue()

    prepared = await prepare_input(data, option="image", filename="photo.png")

    assert prepared.data is data


# --- prepare_input: the re-encoding paths --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_turning_an_image_upright_writes_no_metadata(kind: str) -> None:
    data = with_everything(kind, pixels(), orientation=6)

    prepared = await prepare_input(data, option="image")

    assert [str(note) for note in prepared.adjustments] == ["turned upright as its EXIF orientation says"]
    assert prepared.size == (SIZE[1], SIZE[0])
    assert_no_metadata(prepared.data)


async def test_a_file_whose_structure_cannot_be_walked_is_reencoded(caplog: pytest.LogCaptureFixture) -> None:
    # Pillow stops reading a PNG at a broken chunk after the image data; the walk cannot get past it.
    buffer = io.BytesIO()
    image = pixels()
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "png-secret")
    image.save(buffer, "PNG", pnginfo=text, icc_profile=ICC_PROFILE)
    data = buffer.getvalue()
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + b"\x00\x00\x00\x04\x00\x01\x02\x03junk" + data[iend:]
    with pytest.raises(UnreadableStructure):
        strip_metadata(data, "png")

    with caplog.at_level(logging.INFO, logger="bot.images.inputs"):
        prepared = await prepare_input(data, option="image")

    assert prepared.adjustments == ()
    assert prepared.mime == "image/png"
    assert_no_metadata(prepared.data)
    assert decoded(prepared.data).tobytes() == image.tobytes()
    assert "Re-encoding the png image" in caplog.text


async def test_the_bytes_removed_are_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    data = with_everything("webp", pixels())

    with caplog.at_level(logging.DEBUG, logger="bot.images.inputs"):
        prepared = await prepare_input(data, option="style_reference")

    removed = len(data) - len(prepared.data)
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.DEBUG, f"Removed {removed} bytes of metadata from the webp style_reference")
    ]


# --- strip_metadata on hand-made structures ------------------------------------------------------------------


def test_jpeg_fill_bytes_and_segments_between_scans_are_handled() -> None:
    buffer = io.BytesIO()
    pixels().save(buffer, "JPEG", progressive=True)
    plain = buffer.getvalue()
    sos = plain.index(b"\xff\xda")
    # A comment among the scans, and fill bytes before a marker: both allowed by the standard.
    second_scan = plain.index(b"\xff\xc4", sos)
    data = plain[:second_scan] + jpeg_segment(0xFE, b"home of a member") + b"\xff\xff" + plain[second_scan:]

    stripped = strip_metadata(data, "jpeg")

    assert b"home of a member" not in stripped
    assert decoded(stripped).tobytes() == decoded(plain).tobytes()


def test_apng_frames_and_sequence_chunks_are_untouched() -> None:
    frames = [pixels(seed=1), pixels(seed=2)]
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "png-secret")
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], pnginfo=text)
    data = buffer.getvalue()

    stripped = strip_metadata(data, "png")

    assert b"png-secret" not in stripped
    assert png_chunks(stripped) == [chunk for chunk in png_chunks(data) if chunk != b"tEXt"]
    assert stripped == data.replace(png_chunk(b"tEXt", b"Comment\x00png-secret"), b"")


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("jpeg", b"\xff\xd8\xff\xe1\x00\x40Exif"),  # a segment longer than the file
        ("jpeg", b"\xff\xd8\x00\x00"),  # no marker where one must be
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x01\x00IHDR"),  # a chunk longer than the file
        ("webp", b"RIFF\xff\x00\x00\x00WEBPVP8X"),  # a RIFF size larger than the file
        ("webp", b"RIFF\x0c\x00\x00\x00WEBPEXIF\x10\x00\x00\x00"),  # a chunk larger than the RIFF
    ],
)
def test_structures_that_do_not_add_up_are_refused(kind: str, data: bytes) -> None:
    with pytest.raises(UnreadableStructure):
        strip_metadata(data, kind)  # type: ignore[arg-type]
