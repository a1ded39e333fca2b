"""Every generation command's happy path, end to end: what the image API received, what Discord shows, what the
ledger recorded. Plus the legacy (pre-V3) wire formats and /edit's `invert_mask`."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from bot.money import format_amount
from tests.e2e.conftest import World
from tests.e2e.support import (
    ALLOWANCE,
    IMAGE,
    MASK,
    V3,
    WIDE_IMAGE,
    attach,
    balance,
    fields,
    history,
    image_size,
    remaining_text,
)
from tests.fakes.ideogram import MAGIC_PROMPT_SUFFIX


@dataclass(frozen=True)
class Case:
    command: str
    options: dict[str, Any]
    route: str
    sent_fields: dict[str, Any]  # multipart text parts, or the legacy `image_request` object
    sent_files: dict[str, tuple[int, int]]  # file part -> pixel size the API got
    cost: int
    images: int
    model: str | None  # the embed's Model field; None when there is none (describe)
    prompt: str | None  # the embed's description: the prompt as the API returned it
    notes: list[str] = field(default_factory=list)


CASES = [
    pytest.param(
        Case(
            command="imagine",
            options={
                "prompt": "a lighthouse at dusk",
                "negative_prompt": "fog",
                "aspect_ratio": "16x9",
                "rendering_speed": "TURBO",
                "style_type": "REALISTIC",
                "num_images": 2,
                "seed": 42,
            },
            route=f"{V3}/generate",
            sent_fields={
                "prompt": "a lighthouse at dusk",
                "negative_prompt": "fog",
                "aspect_ratio": "16x9",
                "rendering_speed": "TURBO",
                "style_type": "REALISTIC",
                "num_images": "2",
                "seed": "42",
            },
            sent_files={},
            cost=2 * 30_000,
            images=2,
            model="V_3 · TURBO",
            prompt="a lighthouse at dusk" + MAGIC_PROMPT_SUFFIX,
        ),
        id="imagine",
    ),
    pytest.param(
        Case(
            command="imagine",
            options={
                "prompt": "a fox",
                "style_preset": "WATERCOLOR",
                "color_palette": "PASTEL",
                "magic_prompt": "OFF",
                "style_reference": IMAGE,
            },
            route=f"{V3}/generate",
            sent_fields={
                "prompt": "a fox",
                "style_preset": "WATERCOLOR",
                "color_palette": '{"name":"PASTEL"}',
                "magic_prompt": "OFF",
                "rendering_speed": "DEFAULT",
                "num_images": "1",
            },
            sent_files={"style_reference_images": (64, 64)},
            cost=60_000,
            images=1,
            model="V_3 · DEFAULT",
            prompt="a fox",
        ),
        id="imagine-style-reference",
    ),
    pytest.param(
        Case(
            command="imagine",
            options={"prompt": "a fox", "style_codes": "AAFF5733", "rendering_speed": "FLASH"},
            route=f"{V3}/generate",
            sent_fields={"prompt": "a fox", "style_codes": "AAFF5733", "rendering_speed": "FLASH", "num_images": "1"},
            sent_files={},
            cost=30_000,
            images=1,
            model="V_3 · FLASH",
            prompt="a fox" + MAGIC_PROMPT_SUFFIX,
        ),
        id="imagine-style-codes",
    ),
    pytest.param(
        Case(
            command="remix",
            options={"image": IMAGE, "prompt": "as a mosaic", "style_codes": "0a1b2c3d"},
            route=f"{V3}/remix",
            sent_fields={
                "prompt": "as a mosaic",
                "style_codes": "0a1b2c3d",
                "rendering_speed": "DEFAULT",
                "num_images": "1",
            },
            sent_files={"image": (64, 64)},
            cost=60_000,
            images=1,
            model="V_3 · DEFAULT",
            prompt="as a mosaic" + MAGIC_PROMPT_SUFFIX,
        ),
        id="remix-style-codes",
    ),
    pytest.param(
        Case(
            command="remix",
            options={"image": IMAGE, "prompt": "as a mosaic", "image_weight": 30, "rendering_speed": "QUALITY"},
            route=f"{V3}/remix",
            sent_fields={
                "prompt": "as a mosaic",
                "image_weight": "30",
                "rendering_speed": "QUALITY",
                "num_images": "1",
            },
            sent_files={"image": (64, 64)},
            cost=90_000,
            images=1,
            model="V_3 · QUALITY",
            prompt="as a mosaic" + MAGIC_PROMPT_SUFFIX,
        ),
        id="remix",
    ),
    pytest.param(
        Case(
            command="edit",
            options={
                "image": IMAGE,
                "mask": MASK,
                "prompt": "a red hat",
                "rendering_speed": "TURBO",
                "num_images": 2,
                "seed": 7,
            },
            route=f"{V3}/edit",
            sent_fields={"prompt": "a red hat", "rendering_speed": "TURBO", "num_images": "2", "seed": "7"},
            sent_files={"image": (64, 64), "mask": (64, 64)},
            cost=2 * 60_000,
            images=2,
            model="V_3 · TURBO",
            prompt="a red hat" + MAGIC_PROMPT_SUFFIX,
        ),
        id="edit",
    ),
    pytest.param(
        Case(
            command="describe",
            options={"image": IMAGE, "model_version": "V_2"},
            route="/ideogram/describe",
            sent_fields={"describe_model_version": "V_2"},
            sent_files={"image_file": (64, 64)},
            cost=10_000,
            images=0,
            model=None,
            prompt=None,
        ),
        id="describe",
    ),
    pytest.param(
        Case(
            command="upscale",
            options={"image": IMAGE, "prompt": "crisper", "resemblance": 60, "detail": 70, "magic_prompt": "OFF"},
            route="/ideogram/upscale",
            sent_fields={
                "prompt": "crisper",
                "resemblance": 60,
                "detail": 70,
                "magic_prompt_option": "OFF",
                "num_images": 1,
            },
            sent_files={"image_file": (64, 64)},
            cost=60_000,
            images=1,
            model=None,  # upscale has no model to choose, so the embed shows none
            prompt="crisper",
        ),
        id="upscale",
    ),
    pytest.param(
        Case(
            command="reframe",
            options={"image": WIDE_IMAGE, "resolution": "1280x800", "rendering_speed": "FLASH", "num_images": 2},
            route=f"{V3}/reframe",
            sent_fields={"resolution": "1280x800", "rendering_speed": "FLASH", "num_images": "2"},
            sent_files={"image": (64, 64)},  # centre-cropped from 96x64: reframe wants a square
            cost=2 * 60_000,
            images=2,
            model="V_3 · FLASH",
            prompt=None,
            notes=["centre-cropped from 96×64 to 64×64"],
        ),
        id="reframe-crops-to-square",
    ),
    pytest.param(
        Case(
            command="replace-background",
            options={"image": IMAGE, "prompt": "a beach", "magic_prompt": "ON", "seed": 5},
            route=f"{V3}/replace-background",
            sent_fields={
                "prompt": "a beach",
                "magic_prompt": "ON",
                "seed": "5",
                "rendering_speed": "DEFAULT",
                "num_images": "1",
            },
            sent_files={"image": (64, 64)},
            cost=60_000,
            images=1,
            model="V_3 · DEFAULT",
            prompt="a beach" + MAGIC_PROMPT_SUFFIX,
        ),
        id="replace-background",
    ),
    pytest.param(
        Case(
            command="imagine",
            options={"prompt": "a lighthouse", "model": "V_2", "aspect_ratio": "16x9", "negative_prompt": "fog"},
            route="/ideogram/generate",  # JSON: {"image_request": {...}}
            sent_fields={
                "prompt": "a lighthouse",
                "model": "V_2",
                "aspect_ratio": "ASPECT_16_9",
                "negative_prompt": "fog",
                "num_images": 1,
            },
            sent_files={},
            cost=80_000,
            images=1,
            model="V_2",
            prompt="a lighthouse" + MAGIC_PROMPT_SUFFIX,
        ),
        id="legacy-imagine",
    ),
    pytest.param(
        Case(
            command="remix",
            options={"image": IMAGE, "prompt": "in chalk", "model": "V_2_TURBO", "image_weight": 40, "num_images": 2},
            route="/ideogram/remix",  # multipart: `image_request` as a JSON string part + `image_file`
            sent_fields={"prompt": "in chalk", "model": "V_2_TURBO", "image_weight": 40, "num_images": 2},
            sent_files={"image_file": (64, 64)},
            cost=2 * 50_000,
            images=2,
            model="V_2_TURBO",
            prompt="in chalk" + MAGIC_PROMPT_SUFFIX,
        ),
        id="legacy-remix",
    ),
]


@pytest.mark.parametrize("case", CASES)
async def test_command_posts_its_result_and_charges_the_member(running: World, case: Case) -> None:
    interaction = await running.slash(case.command, **attach(running, case.options))
    result = await running.result(interaction)
    assert interaction.ack is not None
    assert interaction.ack.type == 5  # deferred ("thinking"), then edited into the result
    assert not result.ephemeral

    # What the image API received: the route, every field, every file.
    [sent] = running.ideogram.api_requests
    assert sent.path == case.route
    if case.route in ("/ideogram/generate",):
        assert sent.content_type == "application/json"
        assert sent.image_request == case.sent_fields
    elif case.route in ("/ideogram/remix", "/ideogram/upscale"):
        assert sent.content_type == "multipart/form-data"
        assert set(sent.fields) == {"image_request"}
        assert json.loads(sent.fields["image_request"][0]) == case.sent_fields
    else:
        assert sent.content_type == "multipart/form-data"
        assert sent.fields == {name: [value] for name, value in case.sent_fields.items()}
    assert {name: [image_size(f.data) for f in files] for name, files in sent.files.items()} == {
        name: [size] for name, size in case.sent_files.items()
    }

    # What Discord shows.
    shown = fields(result)
    embed = result.embeds[0]
    assert shown["Cost"] == format_amount(case.cost)
    assert shown["Remaining"] == remaining_text(case.cost)
    assert shown.get("Model") == case.model
    for note in case.notes:
        assert note in shown["Note"]
    if case.command == "describe":
        assert r"A fake description of a 64x64 image (describe model V\_2)." in embed["description"]  # shown as typed
        assert "A second, shorter fake description." in embed["description"]
    else:
        assert embed.get("description") == case.prompt
    assert len(result.attachments) == case.images
    assert all(a.filename.endswith(".png") and a.data.startswith(b"\x89PNG") for a in result.attachments)

    # What the ledger recorded.
    money = await balance(running)
    assert (money.spent, money.held, money.remaining) == (case.cost, 0, ALLOWANCE - case.cost)
    assert [(e.kind, e.amount) for e in await history(running)] == [("hold", case.cost), ("capture", case.cost)]
    assert running.bot is not None
    job = await running.bot.ledger.find_result(result.id)
    assert job is not None
    assert (job.command, job.status, job.cost, job.user_id) == (case.command, "succeeded", case.cost, running.member.id)
    assert [image.attachment_id for image in job.images] == [a.id for a in result.attachments]
    # The posted files are the downloaded images, byte for byte (nothing re-encoded when it fits).
    assert [image.sha256 for image in job.images] == [hashlib.sha256(a.data).hexdigest() for a in result.attachments]
    if case.images:
        seeds = list(dict.fromkeys(image.seed for image in job.images if image.seed is not None))  # image order
        assert shown["Seed" if len(seeds) == 1 else "Seeds"] == ", ".join(map(str, seeds))
        if "seed" in case.options:
            assert seeds == [case.options["seed"]]


@pytest.mark.parametrize(("invert", "black_half"), [(False, "left"), (True, "right")])
async def test_edit_sends_a_two_tone_mask_inverted_on_request(running: World, invert: bool, black_half: str) -> None:
    options = attach(running, {"image": IMAGE, "mask": MASK, "prompt": "a red hat"})
    interaction = await running.slash("edit", invert_mask=invert, **options)
    await running.result(interaction)

    [sent] = running.ideogram.api_requests
    assert "invert_mask" not in sent.fields  # ours, not the API's
    with Image.open(io.BytesIO(sent.files["mask"][0].data)) as mask:
        pixels = mask.convert("L")
        left, right = pixels.getpixel((8, 32)), pixels.getpixel((56, 32))
        tones = {value for value, count in enumerate(pixels.histogram()) if count}
    assert tones == {0, 255}
    assert (left, right) == ((0, 255) if black_half == "left" else (255, 0))
