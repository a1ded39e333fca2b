"""Routing and wire encoding of every operation, without a server, parametrized over the API's value tables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.ideogram import (
    ColorPalette,
    DescribeRequest,
    ImageFile,
    InvalidRequest,
    LegacyEditRequest,
    LegacyGenerateRequest,
    LegacyRemixRequest,
    UpscaleRequest,
    V3EditRequest,
    V3GenerateRequest,
    V3ReframeRequest,
    V3RemixRequest,
    V3ReplaceBackgroundRequest,
    build_request,
)
from bot.ideogram.requests import IdeogramRequest
from bot.ideogram.values import (
    ASPECT_RATIOS_V3,
    COLOR_PALETTE_PRESETS,
    DESCRIBE_MODEL_VERSIONS,
    LEGACY_ASPECT_RATIOS,
    LEGACY_ASPECT_RATIOS_AS_V3,
    LEGACY_EDIT_MODELS,
    LEGACY_MODELS,
    LEGACY_RESOLUTIONS,
    LEGACY_RESOLUTIONS_AS_V3,
    LEGACY_STYLE_TYPES,
    MAGIC_PROMPT_OPTIONS,
    RENDERING_SPEEDS,
    RESOLUTIONS_V3,
    STYLE_PRESETS,
    STYLE_TYPE_LEGACY_MODELS,
    STYLE_TYPES_V3,
)
from bot.ideogram.wire import JsonBody, Multipart
from tests.ideogram.conftest import make_image, make_mask

PNG = make_image("PNG")
MASK = make_mask()
V3_ONLY_RATIOS = ("1x2", "2x1", "4x5", "5x4")


def wire(request: IdeogramRequest) -> dict[str, Any]:
    """The body as plain data: `{"json": ...}` or `{"fields": {name: [values]}, "files": {name: [filenames]}}`."""
    body = request.encode()
    if isinstance(body, JsonBody):
        return {"json": body.payload}
    assert isinstance(body, Multipart)
    fields: dict[str, list[str]] = {}
    files: dict[str, list[str]] = {}
    for name in body.names:
        if body.files(name):
            files[name] = [f.filename for f in body.files(name)]
        else:
            fields[name] = body.text(name)
    return {"fields": fields, "files": files}


def image_request(request: IdeogramRequest) -> dict[str, Any]:
    body = request.encode()
    if isinstance(body, JsonBody):
        payload = body.payload["image_request"]
        assert isinstance(payload, dict)
        return payload
    (text,) = body.text("image_request")
    decoded = json.loads(text)
    assert isinstance(decoded, dict)
    return decoded


IMAGES_FOR = {
    "generate": {},
    "remix": {"image": PNG},
    "edit": {"image": PNG, "mask": MASK},
    "reframe": {"image": PNG},
    "replace_background": {"image": PNG},
    "upscale": {"image": PNG},
    "describe": {"image": PNG},
}
BASE_OPTIONS = {
    "generate": {"prompt": "a cat astronaut"},
    "remix": {"prompt": "a cat astronaut"},
    "edit": {"prompt": "a cat astronaut"},
    "reframe": {"resolution": "1280x800"},
    "replace_background": {"prompt": "a beach"},
    "upscale": {},
    "describe": {},
}


def build(operation: str, **options: object) -> IdeogramRequest:
    return build_request(operation, options={**BASE_OPTIONS[operation], **options}, images=IMAGES_FOR[operation])


# --- the exact wire format of each of the ten operations --------------------------------------------------------

EXACT = [
    pytest.param(
        "generate",
        {
            "prompt": " a cat ",
            "negative_prompt": "dogs",
            "aspect_ratio": "16x9",
            "rendering_speed": "QUALITY",
            "style_type": "DESIGN",
            "magic_prompt": "OFF",
            "num_images": 3,
            "seed": 42,
            "style_preset": "BAUHAUS",
            "color_palette": "PASTEL",
        },
        {"style_reference": PNG},
        (V3GenerateRequest, "/ideogram/v1/ideogram-v3/generate"),
        {
            "fields": {
                "rendering_speed": ["QUALITY"],
                "num_images": ["3"],
                "seed": ["42"],
                "style_preset": ["BAUHAUS"],
                "color_palette": ['{"name":"PASTEL"}'],
                "prompt": ["a cat"],
                "magic_prompt": ["OFF"],
                "negative_prompt": ["dogs"],
                "aspect_ratio": ["16x9"],
                "style_type": ["DESIGN"],
            },
            "files": {"style_reference_images": ["style_reference.png"]},
        },
        id="v3-generate",
    ),
    pytest.param(
        "remix",
        {"prompt": "watercolor", "image_weight": "70", "resolution": "1024x1024", "style_codes": "AAFF5733 00112233"},
        {"image": PNG},
        (V3RemixRequest, "/ideogram/v1/ideogram-v3/remix"),
        {
            "fields": {
                "rendering_speed": ["DEFAULT"],
                "num_images": ["1"],
                "style_codes": ["AAFF5733", "00112233"],
                "prompt": ["watercolor"],
                "resolution": ["1024x1024"],
                "image_weight": ["70"],
            },
            "files": {"image": ["image.png"]},
        },
        id="v3-remix",
    ),
    pytest.param(
        "edit",
        {"prompt": "a hat", "rendering_speed": "TURBO", "magic_prompt": "ON", "style_type": "REALISTIC"},
        {"image": PNG, "mask": MASK},
        (V3EditRequest, "/ideogram/v1/ideogram-v3/edit"),
        {
            "fields": {
                "rendering_speed": ["TURBO"],
                "num_images": ["1"],
                "prompt": ["a hat"],
                "magic_prompt": ["ON"],
                "style_type": ["REALISTIC"],
            },
            "files": {"image": ["image.png"], "mask": ["mask.png"]},
        },
        id="v3-edit",
    ),
    pytest.param(
        "reframe",
        {"resolution": "1280x800", "num_images": 2, "seed": 7},
        {"image": PNG},
        (V3ReframeRequest, "/ideogram/v1/ideogram-v3/reframe"),
        {
            "fields": {"rendering_speed": ["DEFAULT"], "num_images": ["2"], "seed": ["7"], "resolution": ["1280x800"]},
            "files": {"image": ["image.png"]},
        },
        id="v3-reframe",
    ),
    pytest.param(
        "replace_background",
        {"prompt": "a beach", "rendering_speed": "FLASH", "color_palette": "#ff0000, #0f0"},
        {"image": PNG},
        (V3ReplaceBackgroundRequest, "/ideogram/v1/ideogram-v3/replace-background"),
        {
            "fields": {
                "rendering_speed": ["FLASH"],
                "num_images": ["1"],
                "color_palette": ['{"members":[{"color_hex":"#ff0000"},{"color_hex":"#0f0"}]}'],
                "prompt": ["a beach"],
            },
            "files": {"image": ["image.png"]},
        },
        id="v3-replace-background",
    ),
    pytest.param(
        "generate",
        {
            "prompt": "a cat",
            "model": "V_2",
            "negative_prompt": "dogs",
            "aspect_ratio": "16x9",
            "style_type": "ANIME",
            "magic_prompt": "ON",
            "num_images": 2,
            "seed": 5,
            "color_palette": "EMBER",
        },
        {},
        (LegacyGenerateRequest, "/ideogram/generate"),
        {
            "json": {
                "image_request": {
                    "prompt": "a cat",
                    "model": "V_2",
                    "aspect_ratio": "ASPECT_16_9",
                    "magic_prompt_option": "ON",
                    "style_type": "ANIME",
                    "negative_prompt": "dogs",
                    "num_images": 2,
                    "seed": 5,
                    "color_palette": {"name": "EMBER"},
                }
            }
        },
        id="legacy-generate",
    ),
    pytest.param(
        "remix",
        {"prompt": "oil", "model": "V_2A_TURBO", "image_weight": 10, "resolution": None, "aspect_ratio": "3x2"},
        {"image": PNG},
        (LegacyRemixRequest, "/ideogram/remix"),
        {
            "fields": {
                "image_request": [
                    json.dumps(
                        {
                            "prompt": "oil",
                            "model": "V_2A_TURBO",
                            "aspect_ratio": "ASPECT_3_2",
                            "num_images": 1,
                            "image_weight": 10,
                        }
                    )
                ]
            },
            "files": {"image_file": ["image.png"]},
        },
        id="legacy-remix",
    ),
    pytest.param(
        "edit",
        {"prompt": "a hat", "model": "V_2_TURBO", "magic_prompt": "AUTO", "seed": 1, "style_type": "AUTO"},
        {"image": PNG, "mask": MASK},
        (LegacyEditRequest, "/ideogram/edit"),
        {
            "fields": {
                "prompt": ["a hat"],
                "model": ["V_2_TURBO"],
                "magic_prompt_option": ["AUTO"],
                "num_images": ["1"],
                "seed": ["1"],
                "style_type": ["AUTO"],
            },
            "files": {"image_file": ["image.png"], "mask": ["mask.png"]},
        },
        id="legacy-edit",
    ),
    pytest.param(
        "upscale",
        {"prompt": "sharp", "resemblance": 60, "detail": 80, "magic_prompt": "OFF", "num_images": 1},
        {"image": PNG},
        (UpscaleRequest, "/ideogram/upscale"),
        {
            "fields": {
                "image_request": [
                    json.dumps(
                        {
                            "prompt": "sharp",
                            "resemblance": 60,
                            "detail": 80,
                            "magic_prompt_option": "OFF",
                            "num_images": 1,
                        }
                    )
                ]
            },
            "files": {"image_file": ["image.png"]},
        },
        id="upscale",
    ),
    pytest.param(
        "describe",
        {"model_version": "V_2"},
        {"image": PNG},
        (DescribeRequest, "/ideogram/describe"),
        {"fields": {"describe_model_version": ["V_2"]}, "files": {"image_file": ["image.png"]}},
        id="describe",
    ),
]


@pytest.mark.parametrize(("operation", "options", "images", "target", "expected"), EXACT)
def test_each_operation_encodes_exactly(
    operation: str,
    options: dict[str, object],
    images: dict[str, bytes],
    target: tuple[type[object], str],
    expected: dict[str, Any],
) -> None:
    cls, route = target
    request = build_request(operation, options=options, images=images)
    assert type(request) is cls
    assert request.route == route
    assert request.operation == operation
    assert wire(request) == expected


def test_legacy_image_request_parts_are_json_typed() -> None:
    body = build("remix", model="V_2").encode()
    assert isinstance(body, Multipart)
    (part,) = [p for p in body.parts if p.name == "image_request"]
    assert getattr(part, "content_type", None) == "application/json"


def test_upscale_with_no_options_sends_a_minimal_image_request() -> None:
    assert image_request(build("upscale")) == {"num_images": 1}


def test_describe_without_version_sends_only_the_file() -> None:
    assert wire(build("describe")) == {"fields": {}, "files": {"image_file": ["image.png"]}}


def test_file_parts_carry_type_from_magic_bytes() -> None:
    jpeg, webp = make_image("JPEG"), make_image("WEBP")
    request = build_request("remix", options={"prompt": "x"}, images={"image": jpeg, "style_reference": webp})
    body = request.encode()
    assert isinstance(body, Multipart)
    (image,) = body.files("image")
    (style,) = body.files("style_reference_images")
    assert (image.filename, image.content_type) == ("image.jpg", "image/jpeg")
    assert (style.filename, style.content_type) == ("style_reference.webp", "image/webp")


def test_several_style_references_are_repeated_parts() -> None:
    refs = tuple(ImageFile(filename=f"ref{i}.png", data=PNG) for i in range(3))
    body = V3GenerateRequest(prompt="x", style_reference_images=refs).encode()
    assert [f.filename for f in body.files("style_reference_images")] == ["ref0.png", "ref1.png", "ref2.png"]


# --- pricing attributes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["generate", "remix", "edit", "reframe", "replace_background"])
def test_v3_requests_price_as_v3(operation: str) -> None:
    request = build(operation, num_images=4, rendering_speed="TURBO")
    assert (request.operation, request.model, request.rendering_speed, request.num_images) == (
        operation,
        "V_3",
        "TURBO",
        4,
    )
    assert build(operation).rendering_speed == "DEFAULT"


@pytest.mark.parametrize("model", LEGACY_MODELS)
@pytest.mark.parametrize("operation", ["generate", "remix"])
def test_legacy_generate_and_remix_route_every_legacy_model(operation: str, model: str) -> None:
    request = build(operation, model=model, num_images=2)
    assert request.route == f"/ideogram/{operation}"
    assert (request.model, request.rendering_speed, request.num_images) == (model, None, 2)
    assert image_request(request)["model"] == model


@pytest.mark.parametrize("model", LEGACY_EDIT_MODELS)
def test_legacy_edit_routes_the_edit_models(model: str) -> None:
    request = build("edit", model=model)
    assert request.route == "/ideogram/edit"
    assert (request.model, request.rendering_speed) == (model, None)


def test_upscale_and_describe_have_no_model_or_speed() -> None:
    upscale, describe = build("upscale", num_images=3), build("describe")
    assert (upscale.model, upscale.rendering_speed, upscale.num_images) == (None, None, 3)
    assert (describe.model, describe.rendering_speed, describe.num_images) == (None, None, 1)


# --- the value tables ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ratio", ASPECT_RATIOS_V3)
@pytest.mark.parametrize("operation", ["generate", "remix"])
def test_v3_aspect_ratios_go_as_is(operation: str, ratio: str) -> None:
    assert wire(build(operation, aspect_ratio=ratio))["fields"]["aspect_ratio"] == [ratio]


@pytest.mark.parametrize("ratio", LEGACY_ASPECT_RATIOS_AS_V3)
@pytest.mark.parametrize("operation", ["generate", "remix"])
def test_legacy_aspect_ratios_are_mapped(operation: str, ratio: str) -> None:
    mapped = image_request(build(operation, model="V_2", aspect_ratio=ratio))["aspect_ratio"]
    assert mapped == "ASPECT_" + ratio.replace("x", "_")
    assert mapped in LEGACY_ASPECT_RATIOS


@pytest.mark.parametrize("ratio", V3_ONLY_RATIOS)
def test_ratios_legacy_lacks_are_refused_by_name(ratio: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build("generate", model="V_2A", aspect_ratio=ratio)
    message = str(caught.value)
    assert ratio in message
    assert all(other in message for other in V3_ONLY_RATIOS)
    assert "V_3" in message


def test_the_four_v3_only_ratios_are_exactly_those_legacy_lacks() -> None:
    assert set(ASPECT_RATIOS_V3) - set(LEGACY_ASPECT_RATIOS_AS_V3) == set(V3_ONLY_RATIOS)


@pytest.mark.parametrize("resolution", RESOLUTIONS_V3)
def test_v3_resolutions_on_generate_and_reframe(resolution: str) -> None:
    assert wire(build("generate", resolution=resolution))["fields"]["resolution"] == [resolution]
    assert wire(build("reframe", resolution=resolution))["fields"]["resolution"] == [resolution]


@pytest.mark.parametrize("resolution", LEGACY_RESOLUTIONS_AS_V3)
def test_legacy_resolutions_are_mapped(resolution: str) -> None:
    mapped = image_request(build("generate", model="V_2", resolution=resolution))["resolution"]
    assert mapped == "RESOLUTION_" + resolution.replace("x", "_")
    assert mapped in LEGACY_RESOLUTIONS


def test_resolution_only_in_one_family_is_refused_in_the_other() -> None:
    with pytest.raises(InvalidRequest, match="800x1280 needs model V_3"):
        build("generate", model="V_2", resolution="800x1280")
    with pytest.raises(InvalidRequest, match="`resolution` can't be `1280x720`"):
        build("generate", resolution="1280x720")


@pytest.mark.parametrize("speed", RENDERING_SPEEDS)
@pytest.mark.parametrize("operation", ["generate", "remix", "edit", "reframe", "replace_background"])
def test_rendering_speeds(operation: str, speed: str) -> None:
    assert wire(build(operation, rendering_speed=speed))["fields"]["rendering_speed"] == [speed]


@pytest.mark.parametrize("style", STYLE_TYPES_V3)
@pytest.mark.parametrize("operation", ["generate", "remix", "edit"])
def test_v3_style_types(operation: str, style: str) -> None:
    assert wire(build(operation, style_type=style))["fields"]["style_type"] == [style]


@pytest.mark.parametrize("style", LEGACY_STYLE_TYPES)
@pytest.mark.parametrize("model", STYLE_TYPE_LEGACY_MODELS)
def test_legacy_style_types(model: str, style: str) -> None:
    assert image_request(build("generate", model=model, style_type=style))["style_type"] == style


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_style_presets(preset: str) -> None:
    assert wire(build("generate", style_preset=preset))["fields"]["style_preset"] == [preset]


@pytest.mark.parametrize("preset", COLOR_PALETTE_PRESETS)
def test_color_palette_presets(preset: str) -> None:
    assert wire(build("generate", color_palette=preset))["fields"]["color_palette"] == [
        json.dumps({"name": preset}, separators=(",", ":"))
    ]
    assert image_request(build("generate", model="V_2_TURBO", color_palette=preset))["color_palette"] == {
        "name": preset
    }


@pytest.mark.parametrize("option", MAGIC_PROMPT_OPTIONS)
def test_magic_prompt_is_renamed_for_legacy(option: str) -> None:
    assert wire(build("generate", magic_prompt=option))["fields"]["magic_prompt"] == [option]
    assert image_request(build("generate", model="V_1", magic_prompt=option))["magic_prompt_option"] == option
    assert image_request(build("upscale", magic_prompt=option))["magic_prompt_option"] == option


@pytest.mark.parametrize("version", DESCRIBE_MODEL_VERSIONS)
def test_describe_model_versions(version: str) -> None:
    assert wire(build("describe", model_version=version))["fields"] == {"describe_model_version": [version]}


def test_colour_members_keep_their_order_and_weights() -> None:
    palette = ColorPalette(members=({"color_hex": "#FF0000", "color_weight": 0.5}, {"color_hex": "#00F"}))  # type: ignore[arg-type]
    assert palette.wire() == {"members": [{"color_hex": "#FF0000", "color_weight": 0.5}, {"color_hex": "#00F"}]}
