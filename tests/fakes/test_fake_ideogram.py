"""The Ideogram fake itself, driven with plain aiohttp requests: it must accept what the spec allows, reject what it
does not, inject each fault, and serve images at URLs that expire."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.fakes.ideogram import (
    ASPECT_RATIO_RESOLUTIONS,
    COLOR_PALETTE_PRESETS,
    DESCRIBE_MODEL_VERSIONS,
    IMAGE_SAFETY_MESSAGE,
    LEGACY_ASPECT_RATIOS,
    LEGACY_MODELS,
    LEGACY_RESOLUTIONS,
    LEGACY_STYLE_TYPES,
    MAGIC_PROMPT_OPTIONS,
    MAGIC_PROMPT_SUFFIX,
    PROMPT_SAFETY_MESSAGE,
    RENDERING_SPEEDS,
    ROUTES,
    STYLE_PRESETS,
    V3_ASPECT_RATIOS,
    V3_RESOLUTIONS,
    V3_STYLE_TYPES,
    BadGatewayHtml,
    Disconnect,
    FakeIdeogram,
    GatewayError,
    Latency,
    OkWithError,
    RateLimited,
    SafetyRejected,
    ServerError,
    UnsafeImages,
    nearest_v3_resolution,
    spec,
)


def v3(operation: str) -> str:
    return "/ideogram/v1/ideogram-v3/" + operation


def legacy(operation: str) -> str:
    return "/ideogram/" + operation


def picture(width: int = 64, height: int = 64, *, fmt: str = "PNG", color: Any = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def mask(width: int = 64, height: int = 64) -> bytes:
    image = Image.new("L", (width, height), 255)
    image.paste(0, (0, 0, width // 2, height // 2))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


PNG, JPEG, WEBP, GIF = picture(), picture(fmt="JPEG"), picture(fmt="WEBP"), picture(fmt="GIF")
MASK = mask()

Files = dict[str, bytes | list[bytes]]
Fields = dict[str, str | list[str]]


@dataclasses.dataclass(frozen=True)
class Call:
    """One API request, built so that each test can change a field or two of a valid one."""

    path: str
    fields: Fields = dataclasses.field(default_factory=dict)
    files: Files = dataclasses.field(default_factory=dict)
    json: Any = None

    def set(self, **changes: str | list[str] | None) -> Call:
        """Change text fields; None removes one."""
        fields = {**self.fields, **changes}
        return dataclasses.replace(self, fields={k: v for k, v in fields.items() if v is not None})

    def set_files(self, **changes: bytes | list[bytes] | None) -> Call:
        files = {**self.files, **changes}
        return dataclasses.replace(self, files={k: v for k, v in files.items() if v is not None})

    def request(self, **changes: Any) -> Call:
        """Change the legacy image_request (the JSON body's, or the JSON string part's); None removes a key."""
        if self.json is not None:
            merged = {**self.json["image_request"], **changes}
            return dataclasses.replace(self, json={"image_request": _drop_none(merged)})
        current = self.fields["image_request"]
        assert isinstance(current, str)
        merged = {**json.loads(current), **changes}
        return self.set(image_request=json.dumps(_drop_none(merged)))


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def form(fields: Fields, files: Files) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.add_field(name, item)
    for name, value in files.items():
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            data.add_field(name, item, filename=f"{name}-{index}.png", content_type="image/png")
    return data


VALID: dict[str, Call] = {
    "v3-generate": Call(v3("generate"), {"prompt": "a cat astronaut"}),
    "v3-remix": Call(v3("remix"), {"prompt": "a cat astronaut"}, {"image": PNG}),
    "v3-edit": Call(v3("edit"), {"prompt": "a red hat"}, {"image": PNG, "mask": MASK}),
    "v3-reframe": Call(v3("reframe"), {"resolution": "1280x800"}, {"image": PNG}),
    "v3-replace-background": Call(v3("replace-background"), {"prompt": "a beach"}, {"image": PNG}),
    "legacy-generate": Call(legacy("generate"), json={"image_request": {"prompt": "a cat", "model": "V_2"}}),
    "legacy-edit": Call(legacy("edit"), {"prompt": "a red hat", "model": "V_2"}, {"image_file": PNG, "mask": MASK}),
    "legacy-remix": Call(
        legacy("remix"), {"image_request": json.dumps({"prompt": "a cat", "model": "V_2A"})}, {"image_file": PNG}
    ),
    "legacy-upscale": Call(legacy("upscale"), {"image_request": "{}"}, {"image_file": PNG}),
    "legacy-describe": Call(legacy("describe"), {}, {"image_file": PNG}),
}

PALETTE = json.dumps({"members": [{"color_hex": "#FF0000", "color_weight": 0.5}, {"color_hex": "#0f0"}]})
V3_COMMON = {"seed": "42", "rendering_speed": "QUALITY", "num_images": "3", "style_preset": "BAUHAUS"}
# Every field each route takes, at once (style_codes is exclusive with style_type and style references).
FULL: dict[str, Call] = {
    "v3-generate": VALID["v3-generate"]
    .set(**V3_COMMON, aspect_ratio="16x9", magic_prompt="ON", negative_prompt="dogs")
    .set(color_palette=PALETTE, style_type="DESIGN")
    .set_files(style_reference_images=[PNG, JPEG], character_reference_images=[WEBP])
    .set_files(character_reference_images_mask=[MASK]),
    "v3-generate-style-codes": VALID["v3-generate"].set(style_codes=["AAFF5733", "0123abcd"], resolution="800x1280"),
    "v3-remix": VALID["v3-remix"]
    .set(**V3_COMMON, image_weight="100", resolution="1024x1024", magic_prompt="OFF", negative_prompt="dogs")
    .set(color_palette='{"name": "PASTEL"}', style_type="FICTION")
    .set_files(style_reference_images=[PNG], character_reference_images=[PNG]),
    "v3-edit": VALID["v3-edit"]
    .set(**V3_COMMON, magic_prompt="AUTO", style_type="REALISTIC", color_palette='{"name": "EMBER"}')
    .set_files(style_reference_images=[PNG]),
    "v3-reframe": VALID["v3-reframe"].set(**V3_COMMON, color_palette=PALETTE).set_files(style_reference_images=[PNG]),
    "v3-replace-background": VALID["v3-replace-background"].set(
        **V3_COMMON, magic_prompt="ON", style_codes=["AAFF5733"], color_palette=PALETTE
    ),
    "legacy-generate": VALID["legacy-generate"].request(
        aspect_ratio="ASPECT_3_1",
        magic_prompt_option="OFF",
        seed=2147483647,
        style_type="RENDER_3D",
        negative_prompt="dogs",
        num_images=8,
        color_palette={"name": "JUNGLE"},
    ),
    "legacy-generate-resolution": VALID["legacy-generate"].request(model="V_2_TURBO", resolution="RESOLUTION_1280_720"),
    "legacy-edit": VALID["legacy-edit"]
    .set(model="V_2_TURBO", magic_prompt_option="ON", num_images="2", seed="0")
    .set(style_type="ANIME"),
    "legacy-remix": VALID["legacy-remix"].request(
        image_weight=1, aspect_ratio="ASPECT_1_3", magic_prompt_option="AUTO", seed=7, style_type="AUTO", num_images=2
    ),
    "legacy-upscale": VALID["legacy-upscale"].request(
        prompt="sharper", resemblance=100, detail=1, magic_prompt_option="ON", num_images=2, seed=5
    ),
    "legacy-describe": VALID["legacy-describe"].set(describe_model_version="V_2"),
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeIdeogram]:
    async with FakeIdeogram(clock=clock) as server:
        yield server


@pytest.fixture
async def session(fake: FakeIdeogram) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(fake.base_url, headers={"Api-Key": fake.api_key}) as client:
        yield client


async def send(session: aiohttp.ClientSession, call: Call) -> tuple[int, Any]:
    if call.json is not None:
        response_cm = session.post(call.path, json=call.json)
    else:
        response_cm = session.post(call.path, data=form(call.fields, call.files))
    async with response_cm as response:
        text = await response.text()
        body = json.loads(text) if response.content_type == "application/json" else text
        return response.status, body


async def ok(session: aiohttp.ClientSession, call: Call) -> dict[str, Any]:
    status, body = await send(session, call)
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def rejected(session: aiohttp.ClientSession, call: Call, *, expect: str) -> None:
    status, body = await send(session, call)
    assert status == 400, body
    assert set(body) == {"error"}
    assert expect in body["error"], body["error"]


# --- the value tables come from the OpenAPI file, narrowed to the public API ------------------------------------


def test_value_tables_have_the_public_sizes() -> None:
    assert (len(V3_ASPECT_RATIOS), len(LEGACY_ASPECT_RATIOS)) == (15, 11)
    assert (len(V3_RESOLUTIONS), len(LEGACY_RESOLUTIONS), len(STYLE_PRESETS)) == (69, 78, 62)
    assert RENDERING_SPEEDS == ("FLASH", "TURBO", "DEFAULT", "QUALITY")
    assert set(V3_STYLE_TYPES) == {"AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION"}
    assert set(LEGACY_STYLE_TYPES) == {"AUTO", "GENERAL", "FICTION", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME"}
    assert set(LEGACY_MODELS) == {"V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO"}
    assert (MAGIC_PROMPT_OPTIONS, DESCRIBE_MODEL_VERSIONS) == (("AUTO", "ON", "OFF"), ("V_2", "V_3"))
    assert len(COLOR_PALETTE_PRESETS) == 8
    legacy_as_v3 = {value.removeprefix("RESOLUTION_").replace("_", "x") for value in LEGACY_RESOLUTIONS}
    assert set(V3_RESOLUTIONS) - legacy_as_v3 == {"800x1280"}
    assert len(legacy_as_v3 - set(V3_RESOLUTIONS)) == 10


def test_every_aspect_ratio_maps_to_a_resolution_of_its_shape() -> None:
    for ratio, (width, height) in ASPECT_RATIO_RESOLUTIONS.items():
        a, b = (int(side) for side in ratio.split("x"))
        assert f"{width}x{height}" in V3_RESOLUTIONS
        assert abs(width / height - a / b) < 0.02, ratio
    assert ASPECT_RATIO_RESOLUTIONS["16x9"] == (1312, 736)
    assert ASPECT_RATIO_RESOLUTIONS["1x1"] == (1024, 1024)


# --- valid requests ----------------------------------------------------------------------------------------------


def check_generation_reply(call: Call, body: dict[str, Any], base_url: str) -> None:
    route = ROUTES[call.path]
    assert spec.first_error(route.response_schema, body) is None
    if route.operation == "describe":
        assert body["descriptions"][0]["text"]
        return
    assert datetime.fromisoformat(body["created"]).tzinfo is not None
    if call.json is not None:
        params = call.json["image_request"]
    elif "image_request" in call.fields:
        params = json.loads(str(call.fields["image_request"]))
    else:
        params = call.fields
    assert len(body["data"]) == int(params.get("num_images", 1))
    for item in body["data"]:
        assert item["is_image_safe"] is True
        assert item["url"].startswith(base_url + "/images/")
        if "seed" in params:
            assert item["seed"] == int(params["seed"])


VALID_AND_FULL = [(f"minimal-{name}", call) for name, call in VALID.items()] + [
    (f"full-{name}", call) for name, call in FULL.items()
]


@pytest.mark.parametrize("call", [call for _, call in VALID_AND_FULL], ids=[name for name, _ in VALID_AND_FULL])
async def test_valid_requests_succeed(fake: FakeIdeogram, session: aiohttp.ClientSession, call: Call) -> None:
    body = await ok(session, call)
    check_generation_reply(call, body, fake.base_url)
    for item in body.get("data", []):
        async with session.get(item["url"]) as response:
            assert response.status == 200
            assert response.content_type == "image/png"
            Image.open(io.BytesIO(await response.read())).verify()
    assert fake.requests[0].status == 200
    assert fake.fake_bugs == []


@pytest.mark.parametrize("data", [PNG, JPEG, WEBP], ids=["png", "jpeg", "webp"])
async def test_every_allowed_upload_format_is_accepted(session: aiohttp.ClientSession, data: bytes) -> None:
    await ok(session, VALID["v3-remix"].set_files(image=data))


@pytest.mark.parametrize("ratio", V3_ASPECT_RATIOS)
async def test_v3_aspect_ratios(session: aiohttp.ClientSession, ratio: str) -> None:
    body = await ok(session, VALID["v3-generate"].set(aspect_ratio=ratio))
    width, height = ASPECT_RATIO_RESOLUTIONS[ratio]
    assert body["data"][0]["resolution"] == f"{width}x{height}"


@pytest.mark.parametrize("resolution", V3_RESOLUTIONS)
async def test_v3_resolutions(session: aiohttp.ClientSession, resolution: str) -> None:
    body = await ok(session, VALID["v3-remix"].set(resolution=resolution))
    assert body["data"][0]["resolution"] == resolution


@pytest.mark.parametrize("ratio", LEGACY_ASPECT_RATIOS)
async def test_legacy_aspect_ratios(session: aiohttp.ClientSession, ratio: str) -> None:
    body = await ok(session, VALID["legacy-generate"].request(aspect_ratio=ratio, model="V_2A_TURBO"))
    width, height = ASPECT_RATIO_RESOLUTIONS[ratio.removeprefix("ASPECT_").replace("_", "x")]
    assert body["data"][0]["resolution"] == f"{width}x{height}"


@pytest.mark.parametrize("resolution", LEGACY_RESOLUTIONS)
async def test_legacy_resolutions(session: aiohttp.ClientSession, resolution: str) -> None:
    body = await ok(session, VALID["legacy-generate"].request(resolution=resolution))
    assert body["data"][0]["resolution"] == resolution.removeprefix("RESOLUTION_").replace("_", "x")


@pytest.mark.parametrize("preset", STYLE_PRESETS)
async def test_style_presets(session: aiohttp.ClientSession, preset: str) -> None:
    await ok(session, VALID["v3-generate"].set(style_preset=preset))


@pytest.mark.parametrize("speed", RENDERING_SPEEDS)
@pytest.mark.parametrize("operation", ["generate", "remix", "edit", "reframe", "replace-background"])
async def test_rendering_speeds(session: aiohttp.ClientSession, operation: str, speed: str) -> None:
    await ok(session, VALID[f"v3-{operation}"].set(rendering_speed=speed))


@pytest.mark.parametrize("style_type", V3_STYLE_TYPES)
async def test_v3_style_types(session: aiohttp.ClientSession, style_type: str) -> None:
    body = await ok(session, VALID["v3-edit"].set(style_type=style_type))
    assert body["data"][0]["style_type"] == style_type


@pytest.mark.parametrize("style_type", LEGACY_STYLE_TYPES)
async def test_legacy_style_types(session: aiohttp.ClientSession, style_type: str) -> None:
    body = await ok(session, VALID["legacy-remix"].request(style_type=style_type))
    assert body["data"][0]["style_type"] == style_type


@pytest.mark.parametrize("model", LEGACY_MODELS)
async def test_legacy_models(session: aiohttp.ClientSession, model: str) -> None:
    body = await ok(session, VALID["legacy-generate"].request(model=model))
    assert ("style_type" in body["data"][0]) == (model not in ("V_1", "V_1_TURBO"))


@pytest.mark.parametrize("name", COLOR_PALETTE_PRESETS)
async def test_color_palette_presets(session: aiohttp.ClientSession, name: str) -> None:
    await ok(session, VALID["v3-generate"].set(color_palette=json.dumps({"name": name})))
    await ok(session, VALID["legacy-generate"].request(color_palette={"name": name}))


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (VALID["v3-generate"].set(magic_prompt="ON"), "a cat astronaut" + MAGIC_PROMPT_SUFFIX),
        (VALID["v3-generate"].set(magic_prompt="AUTO"), "a cat astronaut" + MAGIC_PROMPT_SUFFIX),
        (VALID["v3-generate"], "a cat astronaut" + MAGIC_PROMPT_SUFFIX),
        (VALID["v3-generate"].set(magic_prompt="OFF"), "a cat astronaut"),
        (VALID["legacy-generate"].request(magic_prompt_option="OFF"), "a cat"),
        (VALID["legacy-generate"].request(magic_prompt_option="ON"), "a cat" + MAGIC_PROMPT_SUFFIX),
        (VALID["legacy-edit"].set(magic_prompt_option="OFF"), "a red hat"),
        (VALID["v3-reframe"], ""),
        (VALID["legacy-upscale"], ""),
        (VALID["legacy-upscale"].request(prompt="sharp", magic_prompt_option="OFF"), "sharp"),
    ],
)
async def test_magic_prompt_rewrites_the_prompt_unless_off(
    session: aiohttp.ClientSession, call: Call, expected: str
) -> None:
    body = await ok(session, call)
    assert body["data"][0]["prompt"] == expected


async def test_seeds_are_the_requested_one_or_random(session: aiohttp.ClientSession) -> None:
    body = await ok(session, VALID["v3-generate"].set(num_images="4", seed="123"))
    assert [item["seed"] for item in body["data"]] == [123] * 4
    body = await ok(session, VALID["v3-generate"].set(num_images="8"))
    seeds = [item["seed"] for item in body["data"]]
    assert all(0 <= seed <= 2147483647 for seed in seeds)
    assert len(set(seeds)) > 1


async def test_every_image_is_distinct_even_with_one_seed(session: aiohttp.ClientSession) -> None:
    body = await ok(session, VALID["v3-generate"].set(num_images="3", seed="9"))
    contents = set()
    for item in body["data"]:
        async with session.get(item["url"]) as response:
            contents.add(await response.read())
    assert len(contents) == 3


async def test_edit_and_upscale_resolutions_follow_the_input_image(session: aiohttp.ClientSession) -> None:
    wide = picture(300, 200)
    body = await ok(session, VALID["v3-edit"].set_files(image=wide, mask=mask(300, 200)))
    assert body["data"][0]["resolution"] == "{}x{}".format(*nearest_v3_resolution(300, 200))
    assert body["data"][0]["resolution"] == "1248x832"
    body = await ok(session, VALID["legacy-upscale"].set_files(image_file=wide))
    assert (body["data"][0]["resolution"], body["data"][0]["upscaled_resolution"]) == ("300x200", "600x400")


async def test_requests_are_recorded(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    await ok(session, FULL["v3-generate"])
    await ok(session, VALID["legacy-generate"])
    await rejected(session, VALID["v3-generate"].set(num_images="9"), expect="num_images")
    first, second, third = fake.requests
    assert (first.method, first.path, first.content_type, first.status) == (
        "POST",
        v3("generate"),
        "multipart/form-data",
        200,
    )
    assert first.fields["num_images"] == ["3"]
    assert first.headers["Api-Key"] == fake.api_key
    assert [upload.data for upload in first.files["style_reference_images"]] == [PNG, JPEG]
    assert first.files["style_reference_images"][0].filename == "style_reference_images-0.png"
    assert first.files["style_reference_images"][0].content_type == "image/png"
    assert second.json == VALID["legacy-generate"].json
    assert second.image_request == {"prompt": "a cat", "model": "V_2"}
    assert third.status == 400


async def test_replies_carry_request_ids_and_json_content_type(session: aiohttp.ClientSession) -> None:
    async with session.post(v3("generate"), data=form({"prompt": "x"}, {})) as response:
        assert response.content_type == "application/json"
        assert response.headers["X-Request-Id"]
    async with session.post(v3("generate"), data=form({}, {})) as response:
        assert response.status == 400
        assert response.headers["X-Request-Id"]


# --- invalid requests --------------------------------------------------------------------------------------------

TWO_REFS = [PNG, PNG]
INVALID: list[tuple[str, Call, str]] = [
    # content types
    ("legacy generate as multipart", Call(legacy("generate"), {"prompt": "x"}), "application/json"),
    ("v3 generate as json", Call(v3("generate"), json={"prompt": "x"}), "multipart/form-data"),
    ("legacy remix as json", Call(legacy("remix"), json={"image_request": {"prompt": "x"}}), "multipart/form-data"),
    ("legacy generate body not an object", Call(legacy("generate"), json=["x"]), "JSON object"),
    # required fields
    ("v3 generate without prompt", VALID["v3-generate"].set(prompt=None, seed="1"), "'prompt' is a required"),
    ("v3 remix without image", VALID["v3-remix"].set_files(image=None), "'image' is a required"),
    ("v3 edit without mask", VALID["v3-edit"].set_files(mask=None), "'mask' is a required"),
    ("v3 reframe without resolution", VALID["v3-reframe"].set(resolution=None), "'resolution' is a required"),
    ("legacy edit without model", VALID["legacy-edit"].set(model=None), "'model' is a required"),
    ("legacy remix without image_request", VALID["legacy-remix"].set(image_request=None), "'image_request' is a"),
    ("legacy remix without prompt", VALID["legacy-remix"].request(prompt=None), "'prompt' is a required"),
    ("describe without image_file", VALID["legacy-describe"].set_files(image_file=None), "'image_file' is a"),
    ("legacy generate without image_request", Call(legacy("generate"), json={}), "'image_request' is a"),
    ("v3 file named image_file", VALID["v3-remix"].set_files(image=None, image_file=PNG), "unknown field"),
    ("legacy file named image", VALID["legacy-describe"].set_files(image_file=None, image=PNG), "unknown field"),
    ("empty prompt", VALID["v3-generate"].set(prompt=""), "prompt must not be empty"),
    ("blank legacy prompt", VALID["legacy-generate"].request(prompt="  "), "prompt must not be empty"),
    # unknown and route-foreign fields
    ("unknown v3 field", VALID["v3-generate"].set(foo="1"), "unknown field 'foo'"),
    ("unknown legacy json field", VALID["legacy-generate"].request(foo=1), "unknown field 'image_request.foo'"),
    (
        "unknown top-level json field",
        Call(legacy("generate"), json={"image_request": {"prompt": "x"}, "n": 1}),
        "unknown field 'n'",
    ),
    ("unknown legacy remix field", VALID["legacy-remix"].request(style="x"), "unknown field 'image_request.style'"),
    ("v3 magic_prompt_option", VALID["v3-generate"].set(magic_prompt_option="ON"), "unknown field"),
    ("legacy magic_prompt", VALID["legacy-generate"].request(magic_prompt="ON"), "unknown field"),
    ("v3 edit aspect_ratio", VALID["v3-edit"].set(aspect_ratio="1x1"), "unknown field 'aspect_ratio'"),
    ("v3 edit resolution", VALID["v3-edit"].set(resolution="1024x1024"), "unknown field 'resolution'"),
    ("v3 edit negative_prompt", VALID["v3-edit"].set(negative_prompt="x"), "unknown field 'negative_prompt'"),
    ("reframe prompt", VALID["v3-reframe"].set(prompt="x"), "unknown field 'prompt'"),
    ("reframe style_type", VALID["v3-reframe"].set(style_type="AUTO"), "unknown field 'style_type'"),
    ("replace-bg style_type", VALID["v3-replace-background"].set(style_type="AUTO"), "unknown field 'style_type'"),
    ("replace-bg aspect_ratio", VALID["v3-replace-background"].set(aspect_ratio="1x1"), "unknown field"),
    ("replace-bg negative_prompt", VALID["v3-replace-background"].set(negative_prompt="x"), "unknown field"),
    ("replace-bg character ref", VALID["v3-replace-background"].set_files(character_reference_images=PNG), "unknown"),
    ("hidden custom_model_uri", VALID["v3-generate"].set(custom_model_uri="model/a/version/1"), "unknown field"),
    ("hidden magic_prompt_version", VALID["legacy-generate"].request(magic_prompt_version="V_0"), "unknown field"),
    ("legacy edit image_request", VALID["legacy-edit"].set(image_request="{}"), "unknown field 'image_request'"),
    ("legacy remix flat prompt", VALID["legacy-remix"].set(prompt="x"), "unknown field 'prompt'"),
    # enums, exact case, per API version
    ("aspect 16:9", VALID["v3-generate"].set(aspect_ratio="16:9"), "aspect_ratio: '16:9' is not one of"),
    (
        "aspect ASPECT_16_9 on v3",
        VALID["v3-generate"].set(aspect_ratio="ASPECT_16_9"),
        "aspect_ratio: 'ASPECT_16_9' is not",
    ),
    ("aspect 16X9", VALID["v3-generate"].set(aspect_ratio="16X9"), "aspect_ratio: '16X9' is not"),
    ("aspect SPECT_16_10", VALID["legacy-generate"].request(aspect_ratio="SPECT_16_10"), "'SPECT_16_10' is not"),
    ("aspect 16x9 on legacy", VALID["legacy-generate"].request(aspect_ratio="16x9"), "aspect_ratio: '16x9' is not"),
    ("aspect 4x5 on legacy", VALID["legacy-generate"].request(aspect_ratio="ASPECT_4_5"), "'ASPECT_4_5' is not"),
    (
        "legacy resolution on v3",
        VALID["v3-remix"].set(resolution="RESOLUTION_1024_1024"),
        "resolution: 'RESOLUTION_1024_1024' is not",
    ),
    (
        "v3 resolution on legacy",
        VALID["legacy-generate"].request(resolution="1024x1024"),
        "resolution: '1024x1024' is not",
    ),
    (
        "resolution 800x1280 on legacy",
        VALID["legacy-generate"].request(resolution="RESOLUTION_800_1280"),
        "'RESOLUTION_800_1280' is not",
    ),
    ("resolution 1280x720 on v3", VALID["v3-reframe"].set(resolution="1280x720"), "resolution: '1280x720' is not"),
    ("rendering BALANCED", VALID["v3-generate"].set(rendering_speed="BALANCED"), "rendering_speed: 'BALANCED' is not"),
    ("rendering lower case", VALID["v3-generate"].set(rendering_speed="turbo"), "rendering_speed: 'turbo' is not"),
    ("v3 style RENDER_3D", VALID["v3-generate"].set(style_type="RENDER_3D"), "style_type: 'RENDER_3D' is not"),
    ("v3 style CUSTOM", VALID["v3-generate"].set(style_type="CUSTOM"), "style_type: 'CUSTOM' is not"),
    ("v3 style lower case", VALID["v3-generate"].set(style_type="auto"), "style_type: 'auto' is not"),
    ("legacy style STYLIZED", VALID["legacy-generate"].request(style_type="STYLIZED"), "style_type: 'STYLIZED' is not"),
    ("magic prompt lower case", VALID["v3-generate"].set(magic_prompt="on"), "magic_prompt: 'on' is not"),
    (
        "magic prompt boolean",
        VALID["legacy-generate"].request(magic_prompt_option=True),
        "magic_prompt_option: True is not",
    ),
    ("legacy model V_3", VALID["legacy-generate"].request(model="V_3"), "model: 'V_3' is not"),
    ("legacy model AUTO", VALID["legacy-remix"].request(model="AUTO"), "model: 'AUTO' is not"),
    ("legacy model V_2_1", VALID["legacy-generate"].request(model="V_2_1"), "model: 'V_2_1' is not"),
    ("describe CUSTOM", VALID["legacy-describe"].set(describe_model_version="CUSTOM"), "'CUSTOM' is not"),
    ("describe V_4", VALID["legacy-describe"].set(describe_model_version="V_4"), "'V_4' is not"),
    ("style preset lower case", VALID["v3-generate"].set(style_preset="bauhaus"), "style_preset: 'bauhaus' is not"),
    # ranges and integer syntax
    ("num_images 0", VALID["v3-generate"].set(num_images="0"), "num_images: 0 is less than the minimum of 1"),
    ("num_images 9", VALID["v3-edit"].set(num_images="9"), "num_images: 9 is greater than the maximum of 8"),
    ("num_images 9 legacy", VALID["legacy-generate"].request(num_images=9), "image_request.num_images"),
    ("num_images 2.0", VALID["v3-generate"].set(num_images="2.0"), "num_images must be an integer"),
    ("num_images two", VALID["v3-generate"].set(num_images="two"), "num_images must be an integer"),
    ("num_images padded", VALID["v3-generate"].set(num_images=" 2"), "num_images must be an integer"),
    ("num_images empty", VALID["v3-generate"].set(num_images=""), "num_images must be an integer"),
    ("num_images json string", VALID["legacy-generate"].request(num_images="2"), "is not of type 'integer'"),
    ("num_images json float", VALID["legacy-generate"].request(num_images=2.0), "is not of type 'integer'"),
    ("num_images json bool", VALID["legacy-remix"].request(num_images=True), "is not of type 'integer'"),
    ("seed -1", VALID["v3-generate"].set(seed="-1"), "seed: -1 is less than the minimum of 0"),
    ("seed 2^31", VALID["v3-reframe"].set(seed="2147483648"), "seed: 2147483648 is greater"),
    ("legacy seed 2^31", VALID["legacy-upscale"].request(seed=2147483648), "image_request.seed"),
    ("legacy edit seed text", VALID["legacy-edit"].set(seed="x"), "seed must be an integer"),
    ("image_weight 0", VALID["v3-remix"].set(image_weight="0"), "image_weight: 0 is less"),
    ("image_weight 101", VALID["legacy-remix"].request(image_weight=101), "image_weight: 101 is greater"),
    ("resemblance 0", VALID["legacy-upscale"].request(resemblance=0), "resemblance: 0 is less"),
    ("detail 101", VALID["legacy-upscale"].request(detail=101), "detail: 101 is greater"),
    # exclusive combinations and per-model rules
    ("v3 resolution with aspect", VALID["v3-generate"].set(resolution="1024x1024", aspect_ratio="1x1"), "conjunction"),
    (
        "legacy resolution with aspect",
        VALID["legacy-generate"].request(resolution="RESOLUTION_1024_1024", aspect_ratio="ASPECT_1_1"),
        "conjunction",
    ),
    ("style_codes with style_type", VALID["v3-generate"].set(style_codes="AAFF5733", style_type="AUTO"), "style_codes"),
    (
        "style_codes with style refs",
        VALID["v3-reframe"].set(style_codes="AAFF5733").set_files(style_reference_images=PNG),
        "style_codes",
    ),
    ("style code not hex", VALID["v3-generate"].set(style_codes="XYZ12345"), "style_codes.0"),
    ("style code short", VALID["v3-generate"].set(style_codes=["AAFF5733", "AAFF"]), "style_codes.1"),
    ("palette not json", VALID["v3-generate"].set(color_palette="PASTEL"), "color_palette must be a JSON object"),
    ("palette json array", VALID["v3-generate"].set(color_palette="[]"), "color_palette must be a JSON object"),
    ("palette both", VALID["v3-generate"].set(color_palette='{"name":"PASTEL","members":[]}'), "exactly one"),
    ("palette neither", VALID["v3-generate"].set(color_palette="{}"), "exactly one"),
    ("palette extra key", VALID["v3-generate"].set(color_palette='{"name":"PASTEL","x":1}'), "unknown keys"),
    ("palette bad name", VALID["v3-generate"].set(color_palette='{"name":"pastel"}'), "color_palette.name"),
    ("palette bad hex", VALID["v3-generate"].set(color_palette='{"members":[{"color_hex":"FF0000"}]}'), "color_hex"),
    (
        "palette weight too low",
        VALID["v3-edit"].set(color_palette='{"members":[{"color_hex":"#FF0000","color_weight":0.01}]}'),
        "color_weight",
    ),
    (
        "palette weight too high",
        VALID["legacy-generate"].request(color_palette={"members": [{"color_hex": "#FFF", "color_weight": 1.5}]}),
        "color_weight",
    ),
    (
        "palette nine members",
        VALID["v3-generate"].set(color_palette=json.dumps({"members": [{"color_hex": "#FFF"}] * 9})),
        "color_palette.members: [{",
    ),
    ("palette no members", VALID["v3-generate"].set(color_palette='{"members":[]}'), "should be non-empty"),
    ("palette member key", VALID["v3-generate"].set(color_palette='{"members":[{"hex":"#FFF"}]}'), "unknown keys"),
    (
        "palette as string in legacy",
        VALID["legacy-generate"].request(color_palette='{"name":"PASTEL"}'),
        "image_request.color_palette:",
    ),
    ("palette with V_2A", VALID["legacy-generate"].request(model="V_2A", color_palette={"name": "MAGIC"}), "V_2A"),
    ("palette with V_1", VALID["legacy-remix"].request(model="V_1", color_palette={"name": "MAGIC"}), "V_1"),
    ("negative prompt with V_2A", VALID["legacy-generate"].request(model="V_2A", negative_prompt="x"), "negative"),
    ("negative prompt with V_2A_TURBO", VALID["legacy-remix"].request(model="V_2A_TURBO", negative_prompt="x"), "neg"),
    ("style_type with V_1", VALID["legacy-generate"].request(model="V_1", style_type="AUTO"), "V_1"),
    ("style_type with V_1_TURBO", VALID["legacy-remix"].request(model="V_1_TURBO", style_type="AUTO"), "V_1_TURBO"),
    (
        "legacy resolution with V_2A",
        VALID["legacy-generate"].request(model="V_2A", resolution="RESOLUTION_1024_1024"),
        "V_2 and V_2_TURBO",
    ),
    ("legacy edit with V_1", VALID["legacy-edit"].set(model="V_1"), "only V_2 and V_2_TURBO"),
    ("legacy edit with V_2A", VALID["legacy-edit"].set(model="V_2A"), "only V_2 and V_2_TURBO"),
    ("two character refs", VALID["v3-generate"].set_files(character_reference_images=TWO_REFS), "only 1 character"),
    (
        "character mask without ref",
        VALID["v3-generate"].set_files(character_reference_images_mask=MASK),
        "counts must match",
    ),
    # multipart shape
    ("image as text", VALID["v3-remix"].set_files(image=None).set(image="data"), "image must be a file part"),
    ("prompt as file", VALID["v3-remix"].set(prompt=None).set_files(prompt=b"a cat"), "prompt must be a text field"),
    ("num_images twice", VALID["v3-generate"].set(num_images=["1", "2"]), "num_images was given more than once"),
    ("image twice", VALID["v3-remix"].set_files(image=[PNG, PNG]), "image was given more than once"),
    ("image_request not json", VALID["legacy-remix"].set(image_request="prompt=x"), "image_request must be a JSON"),
    ("image_request json array", VALID["legacy-upscale"].set(image_request="[]"), "image_request must be a JSON obj"),
    (
        "image_request as file",
        VALID["legacy-upscale"].set(image_request=None).set_files(image_request=b"{}"),
        "image_request must be a text field",
    ),
    # files
    ("gif image", VALID["v3-remix"].set_files(image=GIF), "GIF images are not supported"),
    ("gif style ref", VALID["v3-generate"].set_files(style_reference_images=[PNG, GIF]), "style_reference_images: GIF"),
    ("text as image", VALID["legacy-describe"].set_files(image_file=b"hello world"), "image_file is not an image"),
    ("truncated png", VALID["legacy-upscale"].set_files(image_file=PNG[:60]), "could not be decoded"),
    ("mask other size", VALID["v3-edit"].set_files(mask=mask(32, 64)), "mask must be the same size"),
    ("legacy mask other size", VALID["legacy-edit"].set_files(mask=mask(64, 65)), "mask must be the same size"),
    ("white mask", VALID["v3-edit"].set_files(mask=picture(color=(255, 255, 255))), "entirely white"),
    ("gif mask", VALID["legacy-edit"].set_files(mask=picture(fmt="GIF")), "mask: GIF"),
    (
        "character mask other size",
        VALID["v3-generate"].set_files(character_reference_images=PNG, character_reference_images_mask=mask(8, 8)),
        "same size as its character reference",
    ),
]


@pytest.mark.parametrize(("call", "expect"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
async def test_invalid_requests_are_rejected(
    fake: FakeIdeogram, session: aiohttp.ClientSession, call: Call, expect: str
) -> None:
    await rejected(session, call, expect=expect)
    assert fake.requests[-1].status == 400
    assert fake.images_issued == 0


async def test_urlencoded_form_is_rejected(session: aiohttp.ClientSession) -> None:
    async with session.post(v3("generate"), data={"prompt": "a cat"}) as response:
        assert response.status == 400
        assert "multipart/form-data" in (await response.json())["error"]


async def test_invalid_json_body_is_rejected(session: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json"}
    async with session.post(legacy("generate"), data=b"{not json", headers=headers) as response:
        assert response.status == 400
        assert (await response.json()) == {"error": "the request body is not valid JSON"}


def raw_png(width: int, height: int) -> bytes:
    """An uncompressed PNG: about width * height * 3 bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


async def test_files_above_the_size_limit_are_rejected() -> None:
    async with (
        FakeIdeogram(max_file_bytes=100_000) as server,
        aiohttp.ClientSession(server.base_url, headers={"Api-Key": server.api_key}) as client,
    ):
        await rejected(client, VALID["v3-remix"].set_files(image=raw_png(200, 200)), expect="maximum file size")
        await ok(client, VALID["v3-remix"].set_files(image=raw_png(150, 150)))
        refs = [raw_png(100, 100)] * 3  # 30 KB each, 90 KB together
        await ok(client, VALID["v3-generate"].set_files(style_reference_images=refs))
        await rejected(client, VALID["v3-generate"].set_files(style_reference_images=[*refs, *refs]), expect="in total")


# --- auth and routing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "shown"),
    [({}, ""), ({"Api-Key": "sk-wrong-key"}, "sk-wro"), ({"Authorization": "Bearer sk-fake-test-key-0123456789"}, "")],
    ids=["missing", "wrong", "bearer-only"],
)
async def test_bad_api_key_gets_the_gateway_401(fake: FakeIdeogram, headers: dict[str, str], shown: str) -> None:
    async with (
        aiohttp.ClientSession(fake.base_url, headers=headers) as client,
        client.post(v3("generate"), data=form({"prompt": "x"}, {})) as response,
    ):
        assert response.status == 401
        body = await response.json()
    assert set(body) == {"error"}
    assert body["error"]["type"] == "Aihubmix_api_error"
    assert body["error"]["message"].startswith(f"Invalid token: {shown}*** (tid: ")
    assert fake.requests[-1].status == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/ideogram/reframe"),
        ("POST", "/v1/ideogram-v3/generate"),
        ("POST", "/generate"),
        ("POST", "/ideogram/v1/ideogram-v3/inpaint"),
        ("POST", "/ideogram/aihubmix_image_generate"),
        ("GET", v3("generate")),
        ("PUT", legacy("describe")),
    ],
)
async def test_unknown_routes_get_the_gateway_404(session: aiohttp.ClientSession, method: str, path: str) -> None:
    async with session.request(method, path) as response:
        assert response.status == 404
        error = (await response.json())["error"]
    assert error["type"] == "Aihubmix_api_error"
    assert f"({method} {path})" in error["message"]
    assert "(tid: " in error["message"]


def test_every_route_is_served() -> None:
    assert sorted(ROUTES) == sorted(
        [v3(op) for op in ("generate", "remix", "edit", "reframe", "replace-background")]
        + [legacy(op) for op in ("generate", "edit", "remix", "upscale", "describe")]
    )
    assert {call.path for call in VALID.values()} == set(ROUTES)


# --- faults ------------------------------------------------------------------------------------------------------


async def test_rate_limited_with_and_without_retry_after(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(RateLimited(retry_after=2))
    fake.inject(RateLimited(retry_after=0.5))
    fake.inject(RateLimited())
    for expected in ("2", "0.5", None):
        async with session.post(v3("generate"), data=form({"prompt": "x"}, {})) as response:
            assert response.status == 429
            assert response.headers.get("Retry-After") == expected
            body = await response.json()
        assert body == {"error": body["error"], "reject_reason": "inflight_limit", "max_inflight_requests": 10}
    await ok(session, VALID["v3-generate"])
    assert fake.pending_faults == []


async def test_a_fault_repeats_times_times_and_answers_before_validation(
    fake: FakeIdeogram, session: aiohttp.ClientSession
) -> None:
    fake.inject(ServerError(status=503), times=2)
    invalid = VALID["v3-generate"].set(num_images="99")
    for _ in range(2):
        status, body = await send(session, invalid)
        assert status == 503
        assert body["error"]["type"] == "upstream_error"
    await rejected(session, invalid, expect="num_images")


async def test_a_fault_for_one_route_leaves_the_others_alone(
    fake: FakeIdeogram, session: aiohttp.ClientSession
) -> None:
    fake.inject(ServerError(), route=v3("remix"))
    await ok(session, VALID["v3-generate"])
    await ok(session, VALID["legacy-remix"])
    status, _ = await send(session, VALID["v3-remix"])
    assert status == 500
    await ok(session, VALID["v3-remix"])


def test_inject_rejects_unknown_routes_and_counts(fake: FakeIdeogram) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        fake.inject(ServerError(), route="/v1/ideogram-v3/generate")
    with pytest.raises(ValueError, match="times"):
        fake.inject(ServerError(), times=0)


async def test_bad_gateway_html(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(BadGatewayHtml())
    async with session.post(legacy("generate"), json=VALID["legacy-generate"].json) as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert "502 Bad Gateway" in await response.text()


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (GatewayError.invalid_token(), 401, None),
        (GatewayError.insufficient_balance(), 403, "insufficient_user_quota"),
        (GatewayError.bad_model(), 400, None),
        (GatewayError(500, "get_adaptor_failed", type="upstream_error", code="x"), 500, "x"),
    ],
)
async def test_gateway_errors(
    fake: FakeIdeogram, session: aiohttp.ClientSession, fault: GatewayError, status: int, code: str | None
) -> None:
    fake.inject(fault)
    got_status, body = await send(session, VALID["v3-edit"])
    assert got_status == status
    assert body["error"]["message"].startswith(fault.message + " (tid: ")
    assert body["error"]["type"] == fault.type
    assert body["error"].get("code") == code


async def test_ok_with_error(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(OkWithError("quota exceeded"))
    status, body = await send(session, VALID["legacy-upscale"])
    assert status == 200
    assert body["error"]["message"].startswith("quota exceeded (tid: ")
    assert "data" not in body


async def test_safety_rejection_comes_after_validation(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(SafetyRejected(), times=3)
    await rejected(session, VALID["v3-generate"].set(prompt=""), expect="prompt")
    assert await send(session, VALID["v3-generate"]) == (422, {"error": PROMPT_SAFETY_MESSAGE})
    assert await send(session, VALID["legacy-describe"]) == (422, {"error": IMAGE_SAFETY_MESSAGE})
    assert fake.images_issued == 0


async def test_unsafe_images_have_no_url(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(UnsafeImages((0, 2, 7)))
    body = await ok(session, VALID["v3-generate"].set(num_images="3"))
    assert [item["is_image_safe"] for item in body["data"]] == [False, True, False]
    assert [item["url"] is None for item in body["data"]] == [True, False, True]
    assert spec.first_error("ImageGenerationResponseV3", body) is None
    assert fake.images_issued == 1


async def test_disconnect_closes_without_an_answer(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(Disconnect())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(session, VALID["v3-generate"])
    assert fake.requests[-1].status == 0
    await ok(session, VALID["v3-generate"])


async def test_latency_outlasts_a_short_client_timeout(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(Latency(60))
    with pytest.raises(TimeoutError):
        async with session.post(
            v3("generate"), data=form({"prompt": "x"}, {}), timeout=aiohttp.ClientTimeout(total=0.2)
        ):
            pass
    fake.latency_s = 60
    with pytest.raises(TimeoutError):
        async with session.post(legacy("generate"), json={}, timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    fake.latency_s = 0
    await ok(session, VALID["v3-generate"])


async def test_faults_can_target_image_downloads(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    fake.inject(ServerError(status=503), route="/images")
    fake.inject(Disconnect(), route="/images", times=2)
    body = await ok(session, VALID["v3-generate"])  # an API request does not take an /images fault
    url = body["data"][0]["url"]
    async with session.get(url) as response:
        assert response.status == 503
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.get(url):
            pass
    async with session.get(url) as response:
        assert response.status == 200
    # aiohttp resends an idempotent request once when the connection drops, so the one failed GET took 2 faults.
    assert [recorded.status for recorded in fake.requests] == [200, 503, 0, 0, 200]


# --- the in-flight limit -----------------------------------------------------------------------------------------


async def test_in_flight_limit_counts_images() -> None:
    async with (
        FakeIdeogram(max_in_flight_images=3) as server,
        aiohttp.ClientSession(server.base_url, headers={"Api-Key": server.api_key}) as client,
    ):
        server.pause_replies()
        two = asyncio.create_task(send(client, VALID["v3-generate"].set(num_images="2")))
        async with asyncio.timeout(5):
            await server.wait_for_in_flight(2)
        status, body = await send(client, VALID["legacy-remix"].request(num_images=2))
        assert status == 429
        assert body == {"error": body["error"], "reject_reason": "inflight_limit", "max_inflight_requests": 3}
        one = asyncio.create_task(send(client, VALID["legacy-describe"]))
        async with asyncio.timeout(5):
            await server.wait_for_in_flight(3)
        server.resume_replies()
        assert [status for status, _ in await asyncio.gather(two, one)] == [200, 200]
        assert (server.in_flight_images, server.peak_in_flight_images) == (0, 3)
        assert (await send(client, VALID["v3-generate"].set(num_images="4")))[0] == 429


# --- image URLs --------------------------------------------------------------------------------------------------


async def test_urls_expire_by_clock(clock: Clock, session: aiohttp.ClientSession) -> None:
    body = await ok(session, VALID["v3-generate"])
    url = body["data"][0]["url"]
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert int(query["exp"]) == int(clock.now + 3600)
    assert len(query["sig"]) == 64
    clock.now = int(query["exp"])
    async with session.get(url) as response:
        assert response.status == 200
    clock.now += 1
    async with session.get(url) as response:
        assert response.status == 403
        assert "expired" in (await response.json())["error"]


async def test_expire_urls_expires_every_issued_url(fake: FakeIdeogram, session: aiohttp.ClientSession) -> None:
    old = (await ok(session, VALID["v3-generate"]))["data"][0]["url"]
    fake.expire_urls()
    new = (await ok(session, VALID["v3-generate"]))["data"][0]["url"]
    async with session.get(old) as response:
        assert response.status == 403
    async with session.get(new) as response:
        assert response.status == 200


async def test_tampered_urls_are_refused(session: aiohttp.ClientSession) -> None:
    url = (await ok(session, VALID["v3-generate"]))["data"][0]["url"]
    base, query = url.split("?")
    exp, sig = (part.split("=")[1] for part in query.split("&"))
    cases = {
        f"{base}?exp={int(exp) + 10}&sig={sig}": 403,
        f"{base}?exp={exp}&sig={'0' * 64}": 403,
        f"{base}?exp={exp}": 403,
        base: 403,
        f"{base.replace('.png', '.webp')}?exp={exp}&sig={sig}": 404,
        f"{base.rsplit('/', 1)[0]}/nonexistent.png?exp={exp}&sig={sig}": 404,
    }
    for tampered, status in cases.items():
        async with session.get(tampered) as response:
            assert response.status == status, tampered


async def test_webp_images() -> None:
    async with (
        FakeIdeogram(image_format="webp") as server,
        aiohttp.ClientSession(server.base_url, headers={"Api-Key": server.api_key}) as client,
    ):
        body = await ok(client, VALID["v3-generate"])
        url = body["data"][0]["url"]
        assert url.split("?")[0].endswith(".webp")
        async with client.get(url) as response:
            assert response.content_type == "image/webp"
            data = await response.read()
    assert (data[:4], data[8:12]) == (b"RIFF", b"WEBP")
    assert Image.open(io.BytesIO(data)).size == (64, 64)


async def test_full_size_images_have_the_announced_size() -> None:
    async with (
        FakeIdeogram(full_size_images=True) as server,
        aiohttp.ClientSession(server.base_url, headers={"Api-Key": server.api_key}) as client,
    ):
        item = (await ok(client, VALID["v3-generate"].set(aspect_ratio="3x1")))["data"][0]
        async with client.get(item["url"]) as response:
            size = Image.open(io.BytesIO(await response.read())).size
    assert f"{size[0]}x{size[1]}" == item["resolution"] == "1536x512"


async def test_small_images_keep_the_announced_shape(session: aiohttp.ClientSession) -> None:
    item = (await ok(session, VALID["v3-generate"].set(aspect_ratio="16x9")))["data"][0]
    async with session.get(item["url"]) as response:
        assert Image.open(io.BytesIO(await response.read())).size == (64, 36)


@pytest.mark.parametrize("image_format", ["png", "webp"])
async def test_image_bytes_makes_large_images_built_once(image_format: str) -> None:
    size = 300_000
    async with (
        FakeIdeogram(image_bytes=size, image_format=image_format) as server,
        aiohttp.ClientSession(server.base_url, headers={"Api-Key": server.api_key}) as client,
    ):
        body = await ok(client, VALID["v3-generate"].set(num_images="2"))
        downloads = []
        for item in body["data"]:
            async with client.get(item["url"]) as response:
                downloads.append(await response.read())
    assert downloads[0] == downloads[1]
    if image_format == "png":
        assert len(downloads[0]) == size
    else:
        assert 0.8 * size < len(downloads[0]) < 1.2 * size
    Image.open(io.BytesIO(downloads[0])).load()
