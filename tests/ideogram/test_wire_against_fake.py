"""Each operation against the strict fake gateway: the fake validates every field against the official spec, so
a 200 means the encoding is right; the recorded request pins the exact wire format."""

from __future__ import annotations

import json

import pytest

from bot.ideogram import (
    DescribeResponse,
    GenerationResponse,
    IdeogramClient,
    InvalidRequest,
    build_request,
)
from bot.ideogram.values import (
    ASPECT_RATIOS_V3,
    LEGACY_ASPECT_RATIOS_AS_V3,
    LEGACY_MODELS,
    LEGACY_STYLE_TYPES,
    RENDERING_SPEEDS,
    STYLE_PRESETS,
    STYLE_TYPES_V3,
)
from tests.fakes.ideogram import FakeIdeogram
from tests.ideogram.conftest import make_image, make_mask

PNG = make_image("PNG")
MASK = make_mask()

OPERATIONS = [
    # (operation, options, images, (route, content type))
    pytest.param(
        "generate",
        {"prompt": "a cat", "num_images": 2, "seed": 9, "aspect_ratio": "4x5", "style_preset": "WATERCOLOR"},
        {"style_reference": PNG},
        ("/ideogram/v1/ideogram-v3/generate", "multipart/form-data"),
        id="v3-generate",
    ),
    pytest.param(
        "remix",
        {"prompt": "a cat", "image_weight": 30, "color_palette": "#ff0000,#00ff00", "negative_prompt": "dog"},
        {"image": PNG},
        ("/ideogram/v1/ideogram-v3/remix", "multipart/form-data"),
        id="v3-remix",
    ),
    pytest.param(
        "edit",
        {"prompt": "a hat", "style_codes": "AAFF5733,01234567", "magic_prompt": "OFF"},
        {"image": PNG, "mask": MASK},
        ("/ideogram/v1/ideogram-v3/edit", "multipart/form-data"),
        id="v3-edit",
    ),
    pytest.param(
        "reframe",
        {"resolution": "1280x800", "rendering_speed": "TURBO"},
        {"image": PNG},
        ("/ideogram/v1/ideogram-v3/reframe", "multipart/form-data"),
        id="v3-reframe",
    ),
    pytest.param(
        "replace_background",
        {"prompt": "a beach", "color_palette": "JUNGLE"},
        {"image": PNG, "style_reference": PNG},
        ("/ideogram/v1/ideogram-v3/replace-background", "multipart/form-data"),
        id="v3-replace-background",
    ),
    pytest.param(
        "generate",
        {
            "prompt": "a cat",
            "model": "V_2",
            "resolution": "1280x800",
            "negative_prompt": "dog",
            "color_palette": "MELON",
        },
        {},
        ("/ideogram/generate", "application/json"),
        id="legacy-generate",
    ),
    pytest.param(
        "remix",
        {"prompt": "a cat", "model": "V_2A", "aspect_ratio": "16x9", "image_weight": 80, "style_type": "RENDER_3D"},
        {"image": PNG},
        ("/ideogram/remix", "multipart/form-data"),
        id="legacy-remix",
    ),
    pytest.param(
        "edit",
        {"prompt": "a hat", "model": "V_2_TURBO", "num_images": 2, "style_type": "ANIME"},
        {"image": PNG, "mask": MASK},
        ("/ideogram/edit", "multipart/form-data"),
        id="legacy-edit",
    ),
    pytest.param(
        "upscale",
        {"prompt": "crisp", "resemblance": 90, "detail": 10},
        {"image": PNG},
        ("/ideogram/upscale", "multipart/form-data"),
        id="upscale",
    ),
    pytest.param(
        "describe",
        {"model_version": "V_2"},
        {"image": PNG},
        ("/ideogram/describe", "multipart/form-data"),
        id="describe",
    ),
]


@pytest.mark.parametrize(
    ("operation", "inputs", "target"),
    [pytest.param(p.values[0], (p.values[1], p.values[2]), p.values[3], id=p.id) for p in OPERATIONS],
)
async def test_every_operation_is_accepted_by_the_strict_fake(
    client: IdeogramClient,
    fake: FakeIdeogram,
    operation: str,
    inputs: tuple[dict[str, object], dict[str, bytes]],
    target: tuple[str, str],
) -> None:
    options, images = inputs
    route, content_type = target
    request = build_request(operation, options=options, images=images)
    reply = await client.execute(request)
    (recorded,) = fake.api_requests
    assert (recorded.method, recorded.path, recorded.content_type, recorded.status) == (
        "POST",
        route,
        content_type,
        200,
    )
    assert recorded.headers["Api-Key"] == fake.api_key
    assert "Authorization" not in recorded.headers
    body = request.encode()
    if content_type == "application/json":
        assert recorded.json == body.payload  # type: ignore[union-attr]
    else:
        sent_files = {name: [f.data for f in files] for name, files in recorded.files.items()}
        expected_files = {n: [f.data for f in body.files(n)] for n in body.names if body.files(n)}  # type: ignore[union-attr]
        assert sent_files == expected_files
        expected_fields = {n: body.text(n) for n in body.names if body.text(n)}  # type: ignore[union-attr]
        assert recorded.fields == expected_fields
    if operation == "describe":
        assert isinstance(reply, DescribeResponse)
        assert reply.descriptions
    else:
        assert isinstance(reply, GenerationResponse)
        assert len(reply.data) == request.num_images


async def test_the_request_id_comes_from_the_header(client: IdeogramClient, fake: FakeIdeogram) -> None:
    reply = await client.execute(build_request("generate", options={"prompt": "x"}, images={}))
    assert reply.request_id is not None
    assert len(reply.request_id) == 32


async def test_legacy_remix_sends_image_request_as_a_json_text_part(client: IdeogramClient, fake: FakeIdeogram) -> None:
    request = build_request(
        "remix", options={"prompt": "oil", "model": "V_1", "image_weight": 5, "seed": 3}, images={"image": PNG}
    )
    await client.execute(request)
    (recorded,) = fake.api_requests
    assert recorded.image_request == {"prompt": "oil", "model": "V_1", "num_images": 1, "seed": 3, "image_weight": 5}
    assert list(recorded.files) == ["image_file"]
    assert recorded.files["image_file"][0].content_type == "image/png"


async def test_magic_prompt_rewrites_come_back_in_the_reply(client: IdeogramClient) -> None:
    reply = await client.execute(
        build_request("generate", options={"prompt": "a cat", "magic_prompt": "ON"}, images={})
    )
    assert isinstance(reply, GenerationResponse)
    assert reply.data[0].prompt.startswith("a cat")
    assert reply.data[0].prompt != "a cat"


# --- value tables, end to end (the fake rejects anything the spec doesn't list) --------------------------------


@pytest.mark.parametrize("ratio", ASPECT_RATIOS_V3)
async def test_v3_aspect_ratios_accepted(client: IdeogramClient, fake: FakeIdeogram, ratio: str) -> None:
    await client.execute(build_request("generate", options={"prompt": "x", "aspect_ratio": ratio}, images={}))
    assert fake.api_requests[0].value("aspect_ratio") == ratio


@pytest.mark.parametrize("ratio", LEGACY_ASPECT_RATIOS_AS_V3)
async def test_legacy_aspect_ratios_accepted(client: IdeogramClient, fake: FakeIdeogram, ratio: str) -> None:
    await client.execute(
        build_request("generate", options={"prompt": "x", "aspect_ratio": ratio, "model": "V_2"}, images={})
    )
    assert fake.api_requests[0].image_request["aspect_ratio"] == "ASPECT_" + ratio.replace("x", "_")


@pytest.mark.parametrize("model", LEGACY_MODELS)
async def test_every_legacy_model_generates(client: IdeogramClient, fake: FakeIdeogram, model: str) -> None:
    await client.execute(build_request("generate", options={"prompt": "x", "model": model}, images={}))
    assert fake.api_requests[0].json == {"image_request": {"prompt": "x", "model": model, "num_images": 1}}


@pytest.mark.parametrize("speed", RENDERING_SPEEDS)
async def test_rendering_speeds_accepted(client: IdeogramClient, fake: FakeIdeogram, speed: str) -> None:
    await client.execute(build_request("generate", options={"prompt": "x", "rendering_speed": speed}, images={}))
    assert fake.api_requests[0].value("rendering_speed") == speed


@pytest.mark.parametrize("style", STYLE_TYPES_V3)
async def test_v3_style_types_accepted(client: IdeogramClient, style: str) -> None:
    reply = await client.execute(build_request("generate", options={"prompt": "x", "style_type": style}, images={}))
    assert isinstance(reply, GenerationResponse)
    assert reply.data[0].style_type == style


@pytest.mark.parametrize("style", LEGACY_STYLE_TYPES)
async def test_legacy_style_types_accepted(client: IdeogramClient, style: str) -> None:
    reply = await client.execute(
        build_request("generate", options={"prompt": "x", "style_type": style, "model": "V_2_TURBO"}, images={})
    )
    assert isinstance(reply, GenerationResponse)
    assert reply.data[0].style_type == style


@pytest.mark.parametrize("preset", STYLE_PRESETS)
async def test_style_presets_accepted(client: IdeogramClient, preset: str) -> None:
    await client.execute(build_request("generate", options={"prompt": "x", "style_preset": preset}, images={}))


async def test_color_palette_members_are_json_the_fake_accepts(client: IdeogramClient, fake: FakeIdeogram) -> None:
    await client.execute(
        build_request("generate", options={"prompt": "x", "color_palette": "#ABC, #00ff00,#123456"}, images={})
    )
    assert json.loads(fake.api_requests[0].value("color_palette") or "") == {
        "members": [{"color_hex": "#ABC"}, {"color_hex": "#00ff00"}, {"color_hex": "#123456"}]
    }


async def test_rejected_combinations_send_nothing(client: IdeogramClient, fake: FakeIdeogram) -> None:
    rejected = [
        ("generate", {"prompt": "x", "resolution": "1024x1024", "aspect_ratio": "1x1"}, {}),
        ("generate", {"prompt": "x", "model": "V_2", "aspect_ratio": "4x5"}, {}),
        ("edit", {"prompt": "x", "model": "V_1"}, {"image": PNG, "mask": MASK}),
        ("generate", {"prompt": "x", "style_type": "RENDER_3D"}, {}),
        ("remix", {"prompt": "x"}, {"image": b"GIF89a...."}),
    ]
    for operation, options, images in rejected:
        with pytest.raises(InvalidRequest):
            await client.execute(build_request(operation, options=options, images=images))
    assert fake.requests == []


async def test_the_clients_upload_cap_is_checked_before_sending(fake: FakeIdeogram) -> None:
    request = build_request("remix", options={"prompt": "x"}, images={"image": PNG})
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, max_upload_bytes=len(PNG) - 1) as small:
        with pytest.raises(InvalidRequest, match="at most"):
            await small.execute(request)
    assert fake.requests == []


async def test_upload_cap_is_configurable(fake: FakeIdeogram) -> None:
    big = make_image("PNG", size=(256, 256)) + b"\0" * 110_000
    request = build_request("remix", options={"prompt": "x"}, images={"image": big})
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, max_upload_bytes=100 * 1024) as small:
        with pytest.raises(InvalidRequest, match=r"An attached image is .*takes at most 100 KB"):
            await small.execute(request)
    assert fake.requests == []


async def test_default_upload_cap_is_10_mb(client: IdeogramClient, fake: FakeIdeogram) -> None:
    huge = build_request("remix", options={"prompt": "x"}, images={"image": PNG + b"\0" * (10 * 1024 * 1024)})
    with pytest.raises(InvalidRequest, match="at most 10 MB"):
        await client.execute(huge)
    assert fake.requests == []
