"""Helpers for the tests of what a member can do with a result: clicks, their replies, and the images sent."""

from __future__ import annotations

import asyncio
import hashlib
import io

from PIL import Image

from tests.e2e.conftest import World
from tests.fakes.discord import FakeInteraction, FakeMember, FakeMessage
from tests.fakes.ideogram.recording import RecordedRequest

V3 = "/ideogram/v1/ideogram-v3"
REMIX_ROUTE = f"{V3}/remix"
UPSCALE_ROUTE = "/ideogram/upscale"
DESCRIBE_ROUTE = "/ideogram/describe"


def pixel_hash(data: bytes) -> str:
    """The hash of an image's pixels: the bot strips metadata (re-encoding) before sending a member's image."""
    with Image.open(io.BytesIO(data)) as image:
        return hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def sent_image(request: RecordedRequest) -> bytes:
    (name,) = [n for n in ("image", "image_file") if n in request.files]
    (image,) = request.files[name]
    return image.data


async def imagine(world: World, member: FakeMember | None = None, **options: object) -> FakeMessage:
    options = {"prompt": "a lighthouse at dusk", "rendering_speed": "TURBO", **options}
    return await world.result(await world.slash("imagine", member=member, **options))


def replies_to(world: World, message: FakeMessage, *, deleted: bool = False) -> list[FakeMessage]:
    """The replies to `message`, oldest first (deleted ones too with `deleted=True`)."""
    return [
        m
        for m in world.discord.messages_in(world.channel, include_deleted=deleted)
        if m.message_reference is not None and m.message_reference.get("message_id") == str(message.id)
    ]


async def reply_result(world: World, source: FakeMessage, index: int = 0) -> FakeMessage:
    """The `index`-th reply to `source` once it shows a result (an embed)."""

    def find() -> FakeMessage | None:
        done = [m for m in replies_to(world, source) if m.embeds]
        return done[index] if len(done) > index else None

    message: FakeMessage = await world.discord.wait_for(find, what=f"result reply {index} to {source.id}")
    if world.bot is not None:  # and the job behind it is charged and recorded
        async with asyncio.timeout(world.discord.wait_timeout_s):
            await world.bot.jobs.recorded(message.id)
    return message


def button(message: FakeMessage, prefix: str) -> str:
    """The one custom_id of `message` that starts with `prefix`."""
    (custom_id,) = [c for c in message.custom_ids if c == prefix or c.startswith(f"{prefix}:")]
    return custom_id


def job_id(message: FakeMessage) -> int:
    return int(button(message, "info").split(":")[1])


def requests_to(world: World, path: str) -> list[RecordedRequest]:
    return [r for r in world.ideogram.api_requests if r.path == path]


async def click(
    world: World, message: FakeMessage, custom_id: str, member: FakeMember | None = None
) -> FakeInteraction:
    return await world.discord.click(message, member or world.member, custom_id)


async def click_refused_privately(world: World, interaction: FakeInteraction) -> str:
    """The text of a refusal of a click acknowledged at once (a deferred update shows nothing): an ephemeral
    follow-up, and no public message for it."""
    text = await world.private_reply(interaction)
    assert interaction.ack is not None
    assert interaction.ack.type == 6
    assert all(m.ephemeral for m in interaction.followups)
    return text
