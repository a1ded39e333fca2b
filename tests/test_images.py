"""Attachment checks, masks, reframe crops and upload fitting, on images made in the test with Pillow."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image

from bot.errors import UserFacingError
from bot.images import (
    FittedImage,
    ImageRejected,
    PreparedImage,
    UploadTooLarge,
    check_announced,
    fit_for_upload,
    prepare_input,
    prepare_mask,
    sha256_hex,
    sniff_type,
    square_for_reframe,
)

RED = (220, 20, 20)
GREEN = (20, 200, 20)
BLUE = (20, 20, 220)
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
KINDS = list(PIL_FORMATS)
MASK_SIZE = (64, 48)

Color = tuple[int, ...]


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def image_bytes(kind: str, size: tuple[int, int] = (64, 48), color: Color = RED) -> bytes:
    return encode(Image.new("RGB", size, color), PIL_FORMATS[kind])


def halves(size: tuple[int, int], left: Color | int, right: Color | int, mode: str = "RGB") -> Image.Image:
    """Left half one colour, right half another."""
    image = Image.new(mode, size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 0) -> Image.Image:
    channels = len(mode)
    return Image.frombytes(mode, size, random.Random(seed).randbytes(size[0] * size[1] * channels))


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(actual: object, expected: Color, tolerance: int = 40) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header announcing `width`×`height` with hardly any data behind it: a decompression-bomb shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is patched to announce `width`×`height`."""
    data = bytearray(image_bytes("jpeg", (16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended-format WebP header announcing a `width`×`height` canvas."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


# --- type sniffing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sniff_type_knows_the_three_accepted_types(kind: str) -> None:
    assert sniff_type(image_bytes(kind)) == kind


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_sniff_type_refuses_other_image_types(fmt: str) -> None:
    assert sniff_type(encode(Image.new("RGB", (16, 16)), fmt)) is None


@pytest.mark.parametrize("data", [b"", b"RIFF\x00\x00\x00\x00AVI ", b"hello", b"\x89PN"])
def test_sniff_type_refuses_non_images(data: bytes) -> None:
    assert sniff_type(data) is None


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- prepare_input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mime", "filename"),
    [("png", "image/png", "image.png"), ("jpeg", "image/jpeg", "image.jpg"), ("webp", "image/webp", "image.webp")],
)
async def test_accepted_types_pass_through_untouched(kind: str, mime: str, filename: str) -> None:
    data = image_bytes(kind, (64, 48))
    prepared = await prepare_input(data, option="image")
    assert prepared == PreparedImage(data, mime, 64, 48, filename)
    assert prepared.data is data


async def test_filename_keeps_the_stem_but_takes_the_real_extension() -> None:
    prepared = await prepare_input(image_bytes("jpeg"), option="image", filename="my holiday.png")
    assert prepared.filename == "my_holiday.jpg"


@pytest.mark.parametrize(
    ("data_factory", "expected"),
    [
        (lambda: encode(Image.new("RGB", (8, 8)), "GIF"), "The `mask` is a GIF; attach a PNG, JPEG or WebP."),
        (lambda: encode(Image.new("RGB", (8, 8)), "BMP"), "The `mask` is a BMP; attach a PNG, JPEG or WebP."),
        (lambda: encode(Image.new("RGB", (8, 8)), "TIFF"), "The `mask` is a TIFF; attach a PNG, JPEG or WebP."),
        (lambda: b"\x00\x00\x00\x18ftypheic" + bytes(32), "The `mask` is a HEIC; attach a PNG, JPEG or WebP."),
        (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "The `mask` is an SVG; attach a PNG, JPEG or WebP."),
        (lambda: b"just some text", "The `mask` is not an image we can use; attach a PNG, JPEG or WebP."),
        (lambda: b"", "The `mask` is empty; attach a PNG, JPEG or WebP."),
    ],
    ids=["gif", "bmp", "tiff", "heic", "svg", "text", "empty"],
)
async def test_other_types_are_refused_by_content(data_factory: Callable[[], bytes], expected: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        await prepare_input(data_factory(), option="mask")
    assert str(caught.value) == expected
    assert caught.value.option == "mask"
    assert isinstance(caught.value, UserFacingError)


async def test_a_gif_named_png_is_still_a_gif() -> None:
    """The type comes from the bytes, never from the file name."""
    with pytest.raises(ImageRejected, match="is a GIF"):
        await prepare_input(encode(Image.new("RGB", (8, 8)), "GIF"), option="image", filename="cat.png")


@pytest.mark.parametrize(
    ("content_type", "size", "refused"),
    [
        ("image/png", 1_000, None),
        ("image/jpeg", 10 * 1024 * 1024, None),
        ("image/webp", 1_000, None),
        (None, 1_000, None),  # not announced: the bytes decide later
        ("image/gif", 1_000, "The `image` is a GIF; attach a PNG, JPEG or WebP."),
        ("video/mp4", 1_000, "The `image` is a video; attach a PNG, JPEG or WebP."),
        ("application/zip", 1_000, "The `image` is not a PNG, JPEG or WebP image; attach a PNG, JPEG or WebP."),
        ("image/png", 10 * 1024 * 1024 + 1, "The `image` is 10 MB; the limit is 10 MB."),
        ("image/png", 25 * 1024 * 1024, "The `image` is 25 MB; the limit is 10 MB."),
    ],
)
def test_check_announced(content_type: str | None, size: int, refused: str | None) -> None:
    if refused is None:
        check_announced(option="image", content_type=content_type, size=size)
        return
    with pytest.raises(ImageRejected) as caught:
        check_announced(option="image", content_type=content_type, size=size)
    assert str(caught.value) == refused


async def test_too_many_bytes_is_refused_before_decoding() -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024)  # never a valid PNG: proves no decode happened
    with pytest.raises(ImageRejected) as caught:
        await prepare_input(data, option="image")
    assert str(caught.value) == "The `image` is 11 MB; the limit is 10 MB."


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp"])
async def test_truncated_images_are_refused(kind: str) -> None:
    data = encode(noise((128, 128)), PIL_FORMATS[kind])
    with pytest.raises(ImageRejected, match=r"^The `image` could not be read \(it looks damaged or incomplete\)"):
        await prepare_input(data[: len(data) // 2], option="image")


@pytest.mark.parametrize(
    ("data_factory", "claimed"),
    [
        (lambda: png_claiming(100_000, 100_000), "100000×100000"),  # beyond Pillow's own hard limit
        (lambda: png_claiming(10_000, 10_000), "10000×10000"),  # in Pillow's warning band
        (lambda: png_claiming(8_000, 6_000), "8000×6000"),  # under Pillow's limits, over ours
        (lambda: jpeg_claiming(60_000, 60_000), "60000×60000"),
        (lambda: webp_claiming(1_000_000, 1_000_000), "1000000×1000000"),
    ],
    ids=["png-huge", "png-pillow-warning-band", "png-over-our-limit", "jpeg", "webp-vp8x"],
)
async def test_decompression_bombs_are_refused_from_the_header(data_factory: Callable[[], bytes], claimed: str) -> None:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageRejected) as caught:
        await prepare_input(data_factory(), option="image")
    # Naming the claimed size shows our header check refused it, before Pillow parsed (or warned about) it.
    assert f"The `image` is {claimed} (" in str(caught.value)
    assert str(caught.value).endswith("the limit is 40 megapixels.")
    assert pillow_limit == Image.MAX_IMAGE_PIXELS  # our limit never touched Pillow's global


async def test_pixel_limit_is_a_parameter() -> None:
    with pytest.raises(ImageRejected, match=r"is 64×48 \(3,072 pixels\); the limit is 3,000 pixels\.$"):
        await prepare_input(image_bytes("png", (64, 48)), option="image", max_pixels=3_000)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("orientation", "size", "samples"),
    [
        # A 40×20 picture, red on the left and blue on the right, stored sideways or upside down.
        (3, (40, 20), {(5, 10): BLUE, (35, 10): RED}),  # rotate 180°
        (6, (20, 40), {(10, 5): RED, (10, 35): BLUE}),  # rotate 90° clockwise: left goes to the top
        (8, (20, 40), {(10, 5): BLUE, (10, 35): RED}),  # rotate 90° anticlockwise: left goes to the bottom
    ],
)
async def test_exif_orientation_is_applied(
    kind: str, orientation: int, size: tuple[int, int], samples: dict[tuple[int, int], Color]
) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(halves((40, 20), RED, BLUE), PIL_FORMATS[kind], exif=exif, quality=95)

    prepared = await prepare_input(data, option="image")

    assert (prepared.width, prepared.height) == size
    assert prepared.mime == f"image/{kind}"
    assert any("EXIF orientation" in str(note) for note in prepared.adjustments)
    result = decode(prepared.data)
    assert result.size == size
    assert result.getexif().get(0x0112) is None
    for point, color in samples.items():
        assert near(result.convert("RGB").getpixel(point), color), (point, result.getpixel(point))


async def test_a_turned_image_that_grows_past_the_limit_is_shrunk() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(noise((384, 256)), "JPEG", exif=exif, quality=50)  # re-encoding at high quality would grow it

    prepared = await prepare_input(data, option="image", max_bytes=len(data))

    assert len(prepared.data) <= len(data)
    assert str(prepared.adjustments[-1]).startswith("re-encoded to stay under ")
    assert decode(prepared.data).size == (prepared.width, prepared.height)
    assert prepared.height > prepared.width


async def test_upright_exif_is_cut_out_without_reencoding() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    data = encode(halves((40, 20), RED, BLUE), "JPEG", exif=exif)
    app1 = data.index(b"\xff\xe1")
    (length,) = struct.unpack(">H", data[app1 + 2 : app1 + 4])
    prepared = await prepare_input(data, option="image")
    assert prepared.data == data[:app1] + data[app1 + 2 + length :]
    assert prepared.adjustments == ()


@pytest.mark.parametrize("kind", ["png", "webp"])
async def test_animations_give_their_first_frame(kind: str) -> None:
    frames = [Image.new("RGB", (32, 32), RED), Image.new("RGB", (32, 32), BLUE)]
    data = encode(frames[0], PIL_FORMATS[kind], save_all=True, append_images=frames[1:], lossless=True)
    assert getattr(decode(data), "n_frames", 1) == 2

    prepared = await prepare_input(data, option="image")

    assert prepared.mime == f"image/{kind}"
    assert "used the first frame of the animation" in map(str, prepared.adjustments)
    still = decode(prepared.data)
    assert getattr(still, "n_frames", 1) == 1
    assert near(still.convert("RGB").getpixel((16, 16)), RED)


# --- prepare_mask ------------------------------------------------------------------------------------------


def mask_values(data: bytes) -> tuple[set[int], int, int]:
    """(distinct values, value on the left, value on the right) of a mask PNG, checking it is grayscale."""
    assert sniff_type(data) == "png"
    mask = decode(data)
    assert mask.mode == "L"
    assert mask.size == MASK_SIZE
    colors = mask.getcolors()
    assert colors is not None
    left, right = mask.getpixel((2, 24)), mask.getpixel((61, 24))
    assert isinstance(left, int)
    assert isinstance(right, int)
    return {value for _, value in colors}, left, right


@pytest.mark.parametrize(
    "mask_factory",
    [
        lambda: halves(MASK_SIZE, 0, 255, mode="L"),
        lambda: halves(MASK_SIZE, 100, 200, mode="L"),  # grey either side of the 50% threshold
        lambda: halves(MASK_SIZE, (0, 0, 0), (255, 255, 255)),
        lambda: halves(MASK_SIZE, (90, 30, 30), (240, 250, 200)),
        # Black paint on a transparent layer: transparent (even transparent black) counts as white, keep.
        lambda: halves(MASK_SIZE, (0, 0, 0, 255), (0, 0, 0, 0), mode="RGBA"),
        lambda: halves(MASK_SIZE, (0, 255), (0, 0), mode="LA"),
        lambda: halves(MASK_SIZE, 0, 1, mode="1"),
        lambda: halves(MASK_SIZE, 0, 255, mode="L").convert("P"),
        lambda: halves((32, 24), 0, 255, mode="L"),  # smaller: resized to the image
        lambda: halves((640, 480), (0, 0, 0), (255, 255, 255)),  # larger: resized to the image
    ],
    ids=["gray", "gray-threshold", "rgb", "rgb-colours", "rgba", "la", "bilevel", "palette", "smaller", "larger"],
)
@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
async def test_masks_become_black_and_white_at_the_image_size(
    mask_factory: Callable[[], Image.Image], fmt: str
) -> None:
    mask = mask_factory()
    if fmt == "WEBP" and mask.mode not in ("RGB", "RGBA"):
        mask = mask.convert("RGBA" if "A" in mask.getbands() else "RGB")
    data = await prepare_mask(encode(mask, fmt, lossless=True), size=MASK_SIZE)
    assert mask_values(data) == ({0, 255}, 0, 255)


async def test_a_16_bit_grey_mask_is_scaled_not_clipped() -> None:
    width, height = MASK_SIZE
    row = struct.pack(f"<{width}H", *([20_000] * (width // 2) + [50_000] * (width // 2)))  # 31% and 76% grey
    mask = Image.frombytes("I;16", MASK_SIZE, row * height)
    assert mask_values(await prepare_mask(encode(mask, "PNG"), size=MASK_SIZE)) == ({0, 255}, 0, 255)


async def test_a_lossy_jpeg_mask_is_cleaned_to_two_tones() -> None:
    data = await prepare_mask(encode(halves((50, 50 * 3 // 4), 0, 255, mode="L"), "JPEG", quality=30), size=MASK_SIZE)
    values, left, right = mask_values(data)
    assert values == {0, 255}
    assert (left, right) == (0, 255)


async def test_invert_swaps_black_and_white() -> None:
    data = await prepare_mask(encode(halves(MASK_SIZE, 0, 255, mode="L"), "PNG"), size=MASK_SIZE, invert=True)
    assert mask_values(data) == ({0, 255}, 255, 0)


@pytest.mark.parametrize(
    ("value", "invert", "refused"),
    [
        (255, False, "The `mask` is all white, so there is nothing to edit; paint the areas to change black."),
        (0, True, "The `mask` is all white with `invert_mask`, so there is nothing to edit;"),
        (0, False, None),  # all black: edit everything, allowed
        (255, True, None),
    ],
)
async def test_all_white_masks_are_refused(value: int, invert: bool, refused: str | None) -> None:
    data = encode(Image.new("L", MASK_SIZE, value), "PNG")
    if refused is None:
        assert mask_values(await prepare_mask(data, size=MASK_SIZE, invert=invert)) == ({0}, 0, 0)
        return
    with pytest.raises(ImageRejected) as caught:
        await prepare_mask(data, size=MASK_SIZE, invert=invert)
    assert str(caught.value).startswith(refused)


async def test_a_fully_transparent_mask_is_all_white() -> None:
    with pytest.raises(ImageRejected, match="all white"):
        await prepare_mask(encode(Image.new("RGBA", MASK_SIZE, (0, 0, 0, 0)), "PNG"), size=MASK_SIZE)


async def test_a_mask_of_another_shape_is_refused_not_stretched() -> None:
    with pytest.raises(ImageRejected, match=r"^The `mask` is 48×48 but the image is 64×48;"):
        await prepare_mask(encode(halves((48, 48), 0, 255, mode="L"), "PNG"), size=MASK_SIZE)


async def test_masks_get_the_same_type_checks_as_images() -> None:
    with pytest.raises(ImageRejected, match=r"^The `mask` is a GIF;"):
        await prepare_mask(encode(Image.new("L", MASK_SIZE), "GIF"), size=MASK_SIZE)


# --- square_for_reframe ------------------------------------------------------------------------------------


def banded(size: tuple[int, int]) -> Image.Image:
    """Green, with 10-pixel red and blue bands on the two ends of the long side."""
    width, height = size
    image = Image.new("RGB", size, GREEN)
    if width > height:
        image.paste(RED, (0, 0, 10, height))
        image.paste(BLUE, (width - 10, 0, width, height))
    else:
        image.paste(RED, (0, 0, width, 10))
        image.paste(BLUE, (0, height - 10, width, height))
    return image


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [(60, 40), (40, 60)])
async def test_reframe_inputs_are_centre_cropped(kind: str, size: tuple[int, int]) -> None:
    prepared = await prepare_input(encode(banded(size), PIL_FORMATS[kind], quality=95), option="image")

    square, cropped = await square_for_reframe(prepared)

    assert cropped
    assert (square.width, square.height) == (40, 40)
    assert square.mime == prepared.mime
    assert square.filename == prepared.filename
    assert any(str(note).startswith("centre-cropped from") for note in square.adjustments)
    result = decode(square.data).convert("RGB")
    assert result.size == (40, 40)
    for corner in [(1, 1), (38, 1), (1, 38), (38, 38)]:
        assert near(result.getpixel(corner), GREEN), corner


async def test_square_reframe_inputs_are_left_alone() -> None:
    prepared = await prepare_input(image_bytes("png", (50, 50)), option="image")
    assert await square_for_reframe(prepared) == (prepared, False)


# --- fit_for_upload ----------------------------------------------------------------------------------------


async def test_fitting_images_are_returned_without_decoding() -> None:
    data = b"not an image at all, so any decode would fail"
    fitted = await fit_for_upload(data, limit_bytes=len(data), filename="1.png")
    assert fitted == FittedImage(data, "1.png", reencoded=False)
    assert fitted.data is data


@pytest.mark.parametrize(
    ("mode", "limit", "extension", "scaled"),
    [
        ("RGB", 120_000, "jpg", False),  # lower quality is enough
        ("RGB", 25_000, "jpg", True),  # has to scale down too
        ("RGBA", 120_000, "webp", False),  # transparency kept, so WebP rather than JPEG
    ],
)
async def test_oversized_images_are_reencoded_below_the_limit(
    mode: str, limit: int, extension: str, scaled: bool
) -> None:
    data = encode(noise((256, 256), mode), "PNG")
    assert len(data) > limit

    fitted = await fit_for_upload(data, limit_bytes=limit, filename="result_1.png")

    assert fitted.reencoded
    assert len(fitted.data) <= limit
    assert fitted.filename == f"result_1.{extension}"
    result = decode(fitted.data)
    assert result.format == {"jpg": "JPEG", "webp": "WEBP"}[extension]
    assert (result.size != (256, 256)) is scaled
    assert ("A" in result.getbands()) is (mode == "RGBA")


@pytest.mark.parametrize("data", [encode(noise((256, 256)), "PNG"), b"\x89PNG\r\n\x1a\n" + bytes(5_000)])
async def test_images_that_cannot_be_fitted_raise(data: bytes) -> None:
    with pytest.raises(UploadTooLarge, match=r"^A generated image is .*, over this channel's 1 KB upload limit,"):
        await fit_for_upload(data, limit_bytes=1_000, filename="1.png")
