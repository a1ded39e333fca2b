"""Helpers shared by the end-to-end tests: test images, reading embeds, and what the ledger recorded."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any

import aiosqlite
from PIL import Image

from bot.ledger import Balance, Entry
from bot.money import format_amount
from tests.e2e.conftest import World, png
from tests.fakes.discord import FakeInteraction, FakeMember, FakeMessage

ALLOWANCE = 1_000_000  # the world's [budget] default_allowance, in micro-dollars
V3 = "/ideogram/v1/ideogram-v3"
NOTHING_CHARGED = "Nothing was charged."


def mask_png(size: tuple[int, int] = (64, 64)) -> bytes:
    """Black (edit) on the left half, white (keep) on the right."""
    image = Image.new("L", size, 255)
    image.paste(0, (0, 0, size[0] // 2, size[1]))
    return _save(image, "PNG")


def noise_png(side: int) -> bytes:
    """Random RGB noise: a PNG that barely compresses (about 3 × side² bytes)."""
    return _save(Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)), "PNG")


def gif() -> bytes:
    return _save(Image.new("P", (32, 32), 1), "GIF")


def _save(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def image_format(data: bytes) -> str | None:
    with Image.open(io.BytesIO(data)) as image:
        return image.format


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@dataclass(frozen=True)
class Attach:
    """An attachment option in a parametrized case; `attach()` uploads it to the fake Discord."""

    data: bytes
    filename: str = "input.png"


def attach(world: World, options: dict[str, Any]) -> dict[str, Any]:
    """The options with every `Attach` uploaded (so cases can be declared at import time)."""
    return {
        name: world.upload(value.data, value.filename) if isinstance(value, Attach) else value
        for name, value in options.items()
    }


IMAGE = Attach(png())
WIDE_IMAGE = Attach(png((96, 64)))
MASK = Attach(mask_png(), "mask.png")


def fields(message: FakeMessage) -> dict[str, str]:
    """The first embed's fields by name."""
    return {field["name"]: field["value"] for field in message.embeds[0].get("fields", [])}


def remaining_text(cost: int) -> str:
    return f"{format_amount(ALLOWANCE - cost)} this month"


async def balance(world: World, member: FakeMember | None = None) -> Balance:
    """A member's balance (the world's member unless another is named)."""
    assert world.bot is not None
    return await world.bot.ledger.balance(world.guild.id, (member or world.member).id)


async def history(world: World) -> list[Entry]:
    """The member's ledger lines, oldest first."""
    assert world.bot is not None
    return list(reversed(await world.bot.ledger.history(world.guild.id, world.member.id, limit=100)))


async def jobs(world: World) -> list[dict[str, Any]]:
    """Every job row, oldest first, read straight from the bot's SQLite file (the ledger has no 'list jobs')."""
    async with aiosqlite.connect(f"file:{world.settings.database.path}?mode=ro", uri=True) as db:
        db.row_factory = aiosqlite.Row
        rows = await db.execute_fetchall("SELECT * FROM jobs ORDER BY id")
    return [dict(row) for row in rows]


def cdn_downloads(world: World) -> list[str]:
    """Paths of the attachment downloads the bot made from the fake Discord's CDN."""
    return [raw.path for raw in world.discord.raw_requests if raw.path.startswith("/cdn/") and raw.method == "GET"]


async def refused_privately(world: World, interaction: FakeInteraction) -> str:
    """The text of a refusal sent as the initial response (ephemeral, no 'thinking' first)."""
    text = await world.private_reply(interaction)
    assert interaction.ack is not None
    assert interaction.ack.type == 4, "refused after deferring: the check was not a cheap one"
    assert interaction.ephemeral
    return text


async def failed_privately(world: World, interaction: FakeInteraction) -> str:
    """The text of a failure told after deferring: the public 'thinking' message removed, an ephemeral follow-up."""
    text = await world.private_reply(interaction)
    assert interaction.ack is not None
    assert interaction.ack.type == 5
    assert interaction.original is not None
    assert interaction.original.deleted, "the public 'thinking' message was left behind"
    return text
