"""Everything the API would refuse is refused before a request exists, with a message that says what to fix."""

from __future__ import annotations

import pytest

from bot.errors import UserFacingError
from bot.ideogram import (
    ColorPalette,
    ImageFile,
    InvalidRequest,
    LegacyEditRequest,
    LegacyGenerateRequest,
    V3GenerateRequest,
    build_request,
)
from bot.ideogram.values import LEGACY_ONLY_STYLE_TYPES, STYLE_TYPE_LEGACY_MODELS
from cogs.common import in_command_words
from tests.ideogram.conftest import make_image, make_mask

PNG = make_image("PNG")
MASK = make_mask()
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

REJECTED = [
    # (operation, options, images, a fragment the message must contain)
    pytest.param(
        "generate",
        {"prompt": "x", "resolution": "1024x1024", "aspect_ratio": "1x1"},
        {},
        "either `resolution` or `aspect_ratio`",
        id="v3-resolution-with-aspect",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2", "resolution": "1024x1024", "aspect_ratio": "1x1"},
        {},
        "either `resolution` or `aspect_ratio`",
        id="legacy-resolution-with-aspect",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "style_codes": "AAFF5733", "style_type": "AUTO"},
        {},
        "`style_codes` can't be combined",
        id="style-codes-with-style-type",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "style_codes": "AAFF5733"},
        {"style_reference": PNG},
        "`style_codes` can't be combined",
        id="style-codes-with-reference",
    ),
    pytest.param(
        "edit", {"prompt": "x", "model": "V_1"}, {"image": PNG, "mask": MASK}, "V_1 can't edit", id="edit-with-v1"
    ),
    pytest.param(
        "edit", {"prompt": "x", "model": "V_2A"}, {"image": PNG, "mask": MASK}, "V_2A can't edit", id="edit-with-v2a"
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2A", "negative_prompt": "y"},
        {},
        "V_2A doesn't take a `negative_prompt`",
        id="negative-prompt-v2a",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2A_TURBO", "negative_prompt": "y"},
        {},
        "doesn't take a `negative_prompt`",
        id="negative-prompt-v2a-turbo",
    ),
    pytest.param(
        "edit",
        {"prompt": "x", "negative_prompt": "y"},
        {"image": PNG, "mask": MASK},
        "/edit doesn't take `negative_prompt`",
        id="negative-prompt-v3-edit",
    ),
    pytest.param(
        "replace_background",
        {"prompt": "x", "negative_prompt": "y"},
        {"image": PNG},
        "doesn't take `negative_prompt`",
        id="negative-prompt-replace-bg",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_1", "style_type": "AUTO"},
        {},
        "`style_type` needs model V_2 or newer",
        id="style-type-v1",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_1_TURBO", "style_type": "GENERAL"},
        {},
        "V_2 or newer",
        id="style-type-v1-turbo",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2", "style_preset": "BAUHAUS"},
        {},
        "`style_preset` works only with model V_3",
        id="style-preset-legacy",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2", "rendering_speed": "TURBO"},
        {},
        "`rendering_speed` works only with model V_3",
        id="speed-legacy",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2"},
        {"style_reference": PNG},
        "`style_reference` works only with model V_3",
        id="style-reference-legacy",
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_1", "color_palette": "EMBER"},
        {},
        "`color_palette` works with V_3, V_2 and V_2_TURBO",
        id="palette-v1",
    ),
    pytest.param(
        "generate", {"prompt": "x", "model": "V_2A", "color_palette": "#ff0000"}, {}, "not V_2A", id="palette-v2a"
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "model": "V_2A", "resolution": "1024x1024"},
        {},
        "`resolution` works with V_3, V_2 and V_2_TURBO",
        id="legacy-resolution-v2a",
    ),
    pytest.param(
        "reframe",
        {"resolution": "1280x800", "model": "V_2"},
        {"image": PNG},
        "/reframe works only with model V_3",
        id="reframe-legacy",
    ),
    pytest.param(
        "replace_background",
        {"prompt": "x", "model": "V_2"},
        {"image": PNG},
        "works only with model V_3",
        id="replace-bg-legacy",
    ),
    pytest.param("upscale", {"model": "V_3"}, {"image": PNG}, "/upscale doesn't take a `model`", id="upscale-model"),
    pytest.param(
        "describe", {"model_version": "V_4"}, {"image": PNG}, "`model_version` can't be `V_4`", id="describe-v4"
    ),
    pytest.param("describe", {"model_version": "v_3"}, {"image": PNG}, "can't be `v_3`", id="describe-case"),
    pytest.param(
        "generate", {"prompt": "x", "aspect_ratio": "16:9"}, {}, "`aspect_ratio` can't be `16:9`", id="aspect-colon"
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "aspect_ratio": "ASPECT_16_9"},
        {},
        "can't be `ASPECT_16_9`",
        id="aspect-legacy-spelling",
    ),
    pytest.param("generate", {"prompt": "x", "rendering_speed": "turbo"}, {}, "can't be `turbo`", id="speed-case"),
    pytest.param(
        "generate", {"prompt": "x", "rendering_speed": "BALANCED"}, {}, "can't be `BALANCED`", id="speed-hidden"
    ),
    pytest.param("generate", {"prompt": "x", "model": "V_2_1"}, {}, "`model` can't be `V_2_1`", id="model-unknown"),
    pytest.param("generate", {"prompt": "x", "model": "AUTO"}, {}, "`model` can't be `AUTO`", id="model-auto"),
    pytest.param(
        "generate", {"prompt": "x", "style_preset": "bauhaus"}, {}, "`style_preset` can't be", id="preset-case"
    ),
    pytest.param("generate", {"prompt": "x", "magic_prompt": "YES"}, {}, "`magic_prompt` can't be", id="magic-unknown"),
    pytest.param(
        "generate", {"prompt": "x", "color_palette": "ember"}, {}, "`color_palette` can't be `ember`", id="palette-case"
    ),
    pytest.param("generate", {"prompt": "x", "color_palette": "#ff00zz"}, {}, "hex colours", id="palette-bad-hex"),
    pytest.param(
        "generate",
        {"prompt": "x", "color_palette": ",".join(["#000"] * 9)},
        {},
        "at most 8 colours",
        id="palette-too-many",
    ),
    pytest.param(
        "generate", {"prompt": "x", "style_codes": "AAFF573"}, {}, "isn't a style code", id="style-code-short"
    ),
    pytest.param(
        "generate",
        {"prompt": "x", "image_weight": 50},
        {},
        "`image_weight` only applies to /remix",
        id="weight-generate",
    ),
    pytest.param("generate", {"prompt": "   "}, {}, "prompt can't be empty", id="blank-prompt"),
    pytest.param("generate", {}, {}, "/imagine needs a `prompt`", id="missing-prompt"),
    pytest.param("reframe", {}, {"image": PNG}, "/reframe needs a `resolution`", id="missing-resolution"),
    pytest.param("remix", {"prompt": "x"}, {}, "/remix needs an `image`", id="missing-image"),
    pytest.param("edit", {"prompt": "x"}, {"image": PNG}, "/edit needs an `mask`", id="missing-mask"),
    pytest.param("generate", {"prompt": "x"}, {"mask": MASK}, "/imagine doesn't take a `mask`", id="mask-on-generate"),
    pytest.param(
        "upscale", {"aspect_ratio": "1x1"}, {"image": PNG}, "/upscale doesn't take `aspect_ratio`", id="upscale-aspect"
    ),
    pytest.param(
        "reframe",
        {"resolution": "1280x800", "prompt": "x"},
        {"image": PNG},
        "/reframe doesn't take `prompt`",
        id="reframe-prompt",
    ),
    pytest.param(
        "edit",
        {"prompt": "x", "model": "V_2", "color_palette": "EMBER"},
        {"image": PNG, "mask": MASK},
        "/edit with V_2 doesn't take `color_palette`",
        id="legacy-edit-palette",
    ),
    pytest.param(
        "generate", {"prompt": "x"}, {"style_reference": GIF}, "isn't a PNG, JPEG or WebP", id="gif-reference"
    ),
    pytest.param(
        "remix", {"prompt": "x"}, {"image": b"not an image at all"}, "`image` file isn't a PNG", id="junk-image"
    ),
    pytest.param("remix", {"prompt": "x"}, {"image": b""}, "`image` file is empty", id="empty-image"),
]


@pytest.mark.parametrize(("operation", "options", "images", "fragment"), REJECTED)
def test_rejected(operation: str, options: dict[str, object], images: dict[str, bytes], fragment: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build_request(operation, options=options, images=images)
    # The API layer names operations neutrally; the cogs word them as the slash commands members typed.
    assert "/" not in str(caught.value)
    worded = in_command_words(caught.value)
    assert fragment in str(worded)
    assert isinstance(worded, UserFacingError)
    assert len(str(worded)) < 400


@pytest.mark.parametrize("style", LEGACY_ONLY_STYLE_TYPES)
def test_legacy_only_styles_with_v3_name_the_models_that_have_them(style: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build_request("generate", options={"prompt": "x", "style_type": style}, images={})
    message = str(caught.value)
    assert style in message
    assert all(model in message for model in STYLE_TYPE_LEGACY_MODELS)


RANGES = [
    ("generate", "num_images", 1, 8),
    ("generate", "seed", 0, 2_147_483_647),
    ("remix", "image_weight", 1, 100),
    ("upscale", "resemblance", 1, 100),
    ("upscale", "detail", 1, 100),
]


@pytest.mark.parametrize(("operation", "name", "low", "high"), RANGES)
def test_ranges_are_inclusive_and_enforced(operation: str, name: str, low: int, high: int) -> None:
    base: dict[str, object] = {"prompt": "x"} if operation != "upscale" else {}
    images = {} if operation == "generate" else {"image": PNG}
    for ok in (low, high, str(high)):
        build_request(operation, options={**base, name: ok}, images=images)
    for bad in (low - 1, high + 1, "3.5", True, "", "ten"):
        with pytest.raises(InvalidRequest, match=f"`{name}` must be a whole number from {low} to {high}"):
            build_request(operation, options={**base, name: bad}, images=images)


def test_none_options_count_as_not_given() -> None:
    request = build_request(
        "generate", options={"prompt": "x", "seed": None, "aspect_ratio": None, "model": None}, images={}
    )
    assert isinstance(request, V3GenerateRequest)
    assert request.seed is None


def test_blank_negative_prompt_is_left_out() -> None:
    request = build_request("generate", options={"prompt": "x", "negative_prompt": "  "}, images={})
    assert isinstance(request, V3GenerateRequest)
    assert request.negative_prompt is None


def test_unknown_option_names_are_programming_errors() -> None:
    with pytest.raises(TypeError, match="invert_mask"):
        build_request("edit", options={"prompt": "x", "invert_mask": True}, images={"image": PNG, "mask": MASK})
    with pytest.raises(TypeError, match="thumbnail"):
        build_request("remix", options={"prompt": "x"}, images={"image": PNG, "thumbnail": PNG})
    with pytest.raises(ValueError, match="unknown operation"):
        build_request("inpaint", options={}, images={})


@pytest.mark.parametrize(("fmt", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_accepted_formats(fmt: str, extension: str) -> None:
    file = ImageFile.from_bytes(make_image(fmt), stem="image")
    assert file.filename == f"image.{extension}"
    assert file.content_type == f"image/{'jpeg' if fmt == 'JPEG' else fmt.lower()}"


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(InvalidRequest, match="`aspect_ratio` can't be `16x9`"):
        LegacyGenerateRequest(prompt="x", model="V_2", aspect_ratio="16x9")
    with pytest.raises(InvalidRequest, match="can't edit"):
        LegacyEditRequest(
            prompt="x",
            model="V_1",  # type: ignore[arg-type]
            image=ImageFile(filename="i.png", data=PNG),
            mask=ImageFile(filename="m.png", data=MASK),
        )
    with pytest.raises(InvalidRequest, match="`num_images`"):
        V3GenerateRequest(prompt="x", num_images=0)
    with pytest.raises(InvalidRequest, match="`nope`"):
        V3GenerateRequest(prompt="x", nope=1)  # type: ignore[call-arg]
    with pytest.raises(InvalidRequest, match="not both"):
        ColorPalette(name="EMBER", members=({"color_hex": "#fff"},))  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="isn't a PNG"):
        ImageFile(filename="x.gif", data=GIF)


def test_requests_are_frozen() -> None:
    request = V3GenerateRequest(prompt="x")
    with pytest.raises(Exception, match="frozen"):
        request.prompt = "y"  # type: ignore[misc]


def test_image_bytes_stay_out_of_repr() -> None:
    request = build_request("remix", options={"prompt": "x"}, images={"image": PNG})
    assert "\\x89PNG" not in repr(request)
    assert f"size={len(PNG)}" in repr(request)
