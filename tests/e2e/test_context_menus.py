"""Right-click → Apps on any message with an image: Describe image, Remix image (a modal), Upscale image."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import World, png
from tests.e2e.results_support import (
    DESCRIBE_ROUTE,
    REMIX_ROUTE,
    UPSCALE_ROUTE,
    imagine,
    pixel_hash,
    reply_result,
    requests_to,
    sent_image,
)
from tests.e2e.support import balance, cdn_downloads, jobs, noise_png, refused_privately
from tests.fakes.discord import FakeMessage

MEMBER_IMAGE = png((72, 48), (20, 160, 90))
MENUS = ["Describe image", "Remix image", "Upscale image"]


async def member_message(world: World, *, embed: bool = False) -> FakeMessage:
    """A message the member posted: an image attachment, or (`embed`) only an image embed on Discord's CDN."""
    attachment = world.upload(MEMBER_IMAGE, "holiday.png")
    if embed:
        return await world.discord.post_message(
            world.channel, world.member, embeds=[{"image": {"url": world.discord.attachment_url(attachment)}}]
        )
    return await world.discord.post_message(world.channel, world.member, "my photo", attachments=[attachment])


async def test_the_context_menus_are_synced(running: World) -> None:
    synced = running.discord.synced_commands(running.guild)
    assert {c["name"] for c in synced if c.get("type") == 3} == set(MENUS)


@pytest.mark.parametrize("embed", [False, True], ids=["attachment", "embed"])
@pytest.mark.parametrize(("menu", "route"), [("Describe image", DESCRIBE_ROUTE), ("Upscale image", UPSCALE_ROUTE)])
async def test_describe_and_upscale_a_members_image(running: World, menu: str, route: str, embed: bool) -> None:
    message = await member_message(running, embed=embed)
    interaction = await running.discord.message_command(
        running.guild, running.channel, running.moderator, menu, message
    )
    made = await reply_result(running, message)
    (request,) = requests_to(running, route)
    assert pixel_hash(sent_image(request)) == pixel_hash(MEMBER_IMAGE)
    assert made.embeds
    await interaction.wait_for(lambda i: i.original is not None and i.original.deleted)  # the private "thinking"
    assert (await balance(running, running.moderator)).spent > 0  # the member who asked pays
    assert (await balance(running)).spent == 0


async def test_remix_a_members_image_through_the_modal(running: World) -> None:
    message = await member_message(running)
    opened = await running.discord.message_command(
        running.guild, running.channel, running.moderator, "Remix image", message
    )
    modal = await opened.wait_for(lambda i: i.modal)
    await running.discord.submit_modal(opened, {"prompt": "as a watercolour", "image_weight": "30"})
    await reply_result(running, message)
    (request,) = requests_to(running, REMIX_ROUTE)
    assert pixel_hash(sent_image(request)) == pixel_hash(MEMBER_IMAGE)
    assert request.fields["prompt"] == ["as a watercolour"]
    assert request.fields["image_weight"] == ["30"]
    assert "prompt" in str(modal["components"])


async def test_remix_image_on_a_bot_result_prefills_its_prompt_and_records_the_source(running: World) -> None:
    result = await imagine(running, num_images=2)
    opened = await running.discord.message_command(
        running.guild, running.channel, running.member, "Remix image", result
    )
    modal = await opened.wait_for(lambda i: i.modal)
    prompt = next(c["component"] for c in modal["components"] if c.get("component", {}).get("custom_id") == "prompt")
    assert prompt["value"] == "a lighthouse at dusk"
    await running.discord.submit_modal(opened, {"prompt": prompt["value"], "image_weight": "50"})
    await reply_result(running, result)
    (request,) = requests_to(running, REMIX_ROUTE)
    assert pixel_hash(sent_image(request)) == pixel_hash(result.attachments[0].data)
    source, made = (await jobs(running))[-2:]
    assert made["source_job_id"] == source["id"]


@pytest.mark.parametrize("menu", MENUS)
async def test_a_message_without_an_image_is_refused_privately(running: World, menu: str) -> None:
    message = await running.discord.post_message(running.channel, running.member, "just words")
    interaction = await running.discord.message_command(running.guild, running.channel, running.member, menu, message)
    assert "There is no image in that message" in await refused_privately(running, interaction)
    assert running.ideogram.api_requests == []


async def test_an_embed_image_its_host_declares_too_big_is_refused_without_downloading_it(world: World) -> None:
    await world.start_bot(ideogram={"max_upload_mb": 0.01})  # about 10 KB
    big = world.upload(noise_png(100), "big.png")  # about 30 KB
    message = await world.discord.post_message(
        world.channel, world.member, embeds=[{"image": {"url": world.discord.attachment_url(big)}}]
    )
    interaction = await world.discord.message_command(
        world.guild, world.channel, world.moderator, "Upscale image", message
    )
    text = await world.private_reply(interaction)
    assert re.match(r"The `image` is \d+ KB; the limit is 10 KB\.", text), text
    assert text.endswith("Nothing was charged.")
    asked = [raw.method for raw in world.discord.raw_requests if raw.path.startswith("/cdn/")]
    assert asked == ["HEAD"]  # its size asked for, the image itself never downloaded
    assert cdn_downloads(world) == []
    assert world.ideogram.api_requests == []
