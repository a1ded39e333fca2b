"""What members see when something goes wrong, and that the ledger never keeps their money for it.

Refusals that need no download (option combinations, budgets, attachments as Discord announced them) are the
initial response itself, ephemeral, with nothing held or sent. Failures after the defer remove the public
"thinking" message, say privately what happened and that nothing was charged, and release the hold.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.money import format_amount
from tests.e2e.conftest import API_KEY, BOT_TOKEN, World
from tests.e2e.support import (
    ALLOWANCE,
    IMAGE,
    MASK,
    NOTHING_CHARGED,
    Attach,
    attach,
    balance,
    cdn_downloads,
    failed_privately,
    fields,
    gif,
    history,
    image_format,
    jobs,
    noise_png,
    refused_privately,
)
from tests.fakes.ideogram import (
    BadGatewayHtml,
    Disconnect,
    Fault,
    GatewayError,
    Latency,
    SafetyRejected,
    ServerError,
    UnsafeImages,
)

NO_RETRY_WAIT = {"retry_after_cap_s": 0}  # retries still happen, without backoff sleeps


async def assert_untouched(world: World) -> None:
    """Nothing sent to the image API, nothing downloaded from Discord, nothing held, no job."""
    assert world.ideogram.api_requests == []
    assert await history(world) == []
    assert await jobs(world) == []
    money = await balance(world)
    assert (money.spent, money.held, money.remaining) == (0, 0, ALLOWANCE)


@pytest.mark.parametrize(
    ("command", "options", "says"),
    [
        pytest.param(
            "imagine",
            {"prompt": "a cat", "resolution": "1280x800", "aspect_ratio": "16x9"},
            "either `resolution` or `aspect_ratio`",
            id="resolution-with-aspect-ratio",
        ),
        pytest.param("imagine", {"prompt": "a cat", "style_type": "RENDER_3D"}, "RENDER_3D", id="legacy-style-on-v3"),
        pytest.param(
            "edit", {"image": IMAGE, "mask": MASK, "prompt": "a hat", "model": "V_1"}, "V_1 can't edit", id="edit-v1"
        ),
        pytest.param(
            "imagine", {"prompt": "a cat", "model": "V_2", "aspect_ratio": "4x5"}, "4x5", id="aspect-legacy-lacks"
        ),
        pytest.param(
            "remix",
            {"image": IMAGE, "prompt": "a cat", "model": "V_2", "style_reference": IMAGE},
            "style_reference",
            id="style-reference-legacy",
        ),
        pytest.param(
            "remix",
            {"image": IMAGE, "prompt": "a cat", "model": "V_2", "style_preset": "BAUHAUS"},
            "`style_preset` works only with model V_3",
            id="style-preset-legacy",
        ),
        pytest.param(
            "imagine",
            {"prompt": "a cat", "style_codes": "AAFF5733", "style_type": "DESIGN"},
            "`style_codes` can't be combined with `style_type`",
            id="style-codes-with-style-type",
        ),
        pytest.param(
            "imagine", {"prompt": "a cat", "style_codes": "AAFF57"}, "isn't a style code", id="style-code-short"
        ),
    ],
)
async def test_rejected_option_combinations_are_refused_before_anything_happens(
    running: World, command: str, options: dict[str, Any], says: str
) -> None:
    interaction = await running.slash(command, **attach(running, options))
    text = await refused_privately(running, interaction)
    assert says in text
    assert NOTHING_CHARGED in text
    assert cdn_downloads(running) == []  # refused from the options alone: no attachment was fetched
    await assert_untouched(running)


async def test_a_job_over_the_members_budget_is_refused(running: World) -> None:
    assert running.bot is not None
    await running.bot.ledger.set_allowance(
        guild_id=running.guild.id, user_id=running.member.id, amount=50_000, actor_id=running.moderator.id
    )
    before = await history(running)

    interaction = await running.slash("imagine", prompt="two cats", num_images=2)
    text = await refused_privately(running, interaction)
    assert "That needs $0.12 but you have $0.05 left this month" in text
    assert NOTHING_CHARGED in text
    assert running.ideogram.api_requests == []
    assert await history(running) == before
    assert await jobs(running) == []
    money = await balance(running)
    assert (money.spent, money.held, money.remaining) == (0, 0, 50_000)


# One API failure per command family: (command, options, fault, times, settings, what the member reads, attempts)
API_FAILURES = [
    pytest.param(
        "imagine",
        {"prompt": "something rude"},
        SafetyRejected(),
        1,
        {},
        "safety check rejected",
        1,
        id="generate-422-safety",
    ),
    pytest.param(
        "remix",
        {"image": IMAGE, "prompt": "a cat"},
        ServerError(500),
        3,
        NO_RETRY_WAIT,
        "The image service had a problem",
        3,  # retried twice (max_retries = 2), then given up
        id="remix-500-after-retries",
    ),
    pytest.param(
        "edit",
        {"image": IMAGE, "mask": MASK, "prompt": "a hat"},
        GatewayError.invalid_token(),
        1,
        {},
        "refused the bot's API key",
        1,
        id="edit-401-invalid-token",
    ),
    pytest.param(
        "reframe",
        {"image": IMAGE, "resolution": "1280x800"},
        GatewayError.insufficient_balance(),
        1,
        {},
        "out of credit",
        1,
        id="reframe-403-balance",
    ),
    pytest.param(
        "replace-background",
        {"image": IMAGE, "prompt": "a beach"},
        Latency(5),
        1,
        {"timeout_s": 0.3},
        "took too long",
        1,  # never retried: the generation may still run upstream
        id="replace-background-timeout",
    ),
    pytest.param(
        "upscale",
        {"image": IMAGE},
        BadGatewayHtml(),
        3,
        NO_RETRY_WAIT,
        "The image service had a problem",
        3,
        id="upscale-502-html",
    ),
    pytest.param(
        "describe",
        {"image": IMAGE},
        Disconnect(),
        3,
        NO_RETRY_WAIT,
        "couldn't reach the image service",
        3,
        id="describe-disconnect",
    ),
]


@pytest.mark.parametrize(("command", "options", "fault", "times", "ideogram", "says", "attempts"), API_FAILURES)
async def test_an_api_failure_is_told_privately_and_releases_the_hold(
    world: World,
    command: str,
    options: dict[str, Any],
    fault: Fault,
    times: int,
    ideogram: dict[str, Any],
    says: str,
    attempts: int,
) -> None:
    await world.start_bot(ideogram=ideogram)
    world.ideogram.inject(fault, times=times)

    interaction = await world.slash(command, **attach(world, options))
    text = await failed_privately(world, interaction)
    assert says in text
    assert NOTHING_CHARGED in text
    assert "incident" not in text  # a known failure, worded for the member
    assert len(world.ideogram.api_requests) == attempts
    assert world.ideogram.pending_faults == []

    money = await balance(world)
    assert (money.spent, money.held, money.remaining) == (0, 0, ALLOWANCE)
    [hold, settled] = await history(world)
    # Refused by the API: released. Timed out: the outcome is unknown, so the operator's side records it uncertain.
    settlement = "uncertain" if isinstance(fault, Latency) else "release"
    assert (hold.kind, settled.kind, settled.amount, settled.hold_id) == ("hold", settlement, hold.amount, hold.id)
    [job] = await jobs(world)
    assert (job["id"], job["status"], job["cost"], job["message_id"]) == (hold.job_id, "failed", None, None)
    assert job["error"]

    # The key (or the fragment the gateway echoes, "sk-fak***") never reaches Discord; nor does the bot token.
    assert world.discord.find_secret(API_KEY) == []
    assert world.discord.find_secret(API_KEY[:6]) == []
    assert world.discord.find_secret(BOT_TOKEN) == []


@pytest.mark.parametrize(("num_images", "withheld"), [(3, (1,)), (1, (0,))], ids=["one-of-three", "all"])
async def test_withheld_images_are_not_posted_but_are_charged(
    running: World, num_images: int, withheld: tuple[int, ...]
) -> None:
    running.ideogram.inject(UnsafeImages(indices=withheld))
    interaction = await running.slash("imagine", prompt="cats", num_images=num_images, rendering_speed="TURBO")
    result = await running.result(interaction)

    assert len(result.attachments) == num_images - len(withheld)
    shown = fields(result)
    images = "image" if len(withheld) == 1 else "images"
    assert shown["Withheld"].startswith(f"{len(withheld)} {images} failed Ideogram's safety check")
    cost = num_images * 30_000  # the provider bills withheld images too
    assert shown["Cost"] == format_amount(cost)
    money = await balance(running)
    assert (money.spent, money.held) == (cost, 0)

    assert running.bot is not None
    job = await running.bot.ledger.find_result(result.id)
    assert job is not None
    assert job.cost == cost
    assert [(image.index, image.is_safe) for image in job.images] == [
        (index, index not in withheld) for index in range(num_images)
    ]
    posted = iter(result.attachments)
    assert [image.attachment_id for image in job.images] == [
        None if index in withheld else next(posted).id for index in range(num_images)
    ]


@pytest.mark.parametrize("ideogram_options", [{"image_bytes": 400_000}])
async def test_an_oversized_result_is_reencoded_to_fit_the_upload_limit(running: World) -> None:
    limit = 150_000
    interaction = await running.slash("imagine", prompt="static", num_images=2, attachment_size_limit=limit)
    result = await running.result(interaction)

    assert len(result.attachments) == 2
    extensions = {"JPEG": ".jpg", "WEBP": ".webp", "PNG": ".png"}
    for posted in result.attachments:
        assert posted.size <= limit
        assert posted.filename.endswith(extensions[str(image_format(posted.data))])
    assert not result.attachments[0].filename.endswith(".png")  # noise cannot stay a PNG under the limit
    assert "2 images were re-encoded to fit Discord's upload limit" in fields(result)["Note"]
    assert (await balance(running)).spent == 2 * 60_000


@pytest.mark.parametrize(
    ("command", "options", "says"),
    [
        pytest.param("remix", {"image": Attach(gif(), "spin.gif"), "prompt": "a cat"}, "`image`", id="gif"),
        pytest.param(
            "imagine",
            {"prompt": "a cat", "style_reference": Attach(gif(), "ref.gif")},
            "`style_reference`",
            id="gif-style-reference",
        ),
    ],
)
async def test_an_attachment_of_the_wrong_type_is_refused_without_downloading_it(
    running: World, command: str, options: dict[str, Any], says: str
) -> None:
    interaction = await running.slash(command, **attach(running, options))
    text = await refused_privately(running, interaction)
    assert says in text
    assert "GIF" in text
    assert cdn_downloads(running) == []
    await assert_untouched(running)


async def test_an_attachment_announced_over_the_size_limit_is_refused_without_downloading_it(world: World) -> None:
    await world.start_bot(ideogram={"max_upload_mb": 0.05})
    big = world.upload(noise_png(160))  # ~77 kB > 51.2 kB
    interaction = await world.slash("describe", image=big)
    text = await refused_privately(world, interaction)
    assert "the limit is" in text
    assert cdn_downloads(world) == []
    await assert_untouched(world)


async def test_a_broken_image_is_refused_after_download_with_nothing_charged(running: World) -> None:
    data = noise_png(64)
    broken = running.upload(data[: len(data) // 2], "photo.png", "image/png")
    interaction = await running.slash("upscale", image=broken)
    text = await failed_privately(running, interaction)
    assert "`image`" in text
    assert NOTHING_CHARGED in text
    assert len(cdn_downloads(running)) == 1
    await assert_untouched(running)
