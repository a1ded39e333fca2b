"""The real bot, assembled as `python -m bot` assembles it, against the fake Discord and the fake image API.

Nothing is mocked: discord.py talks to `FakeDiscord` through the `[discord]` URLs, the Ideogram client talks
to `FakeIdeogram` through `[ideogram] base_url`, and the ledger is a real SQLite file in `tmp_path`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.app import IdeogramBot, assemble
from bot.config import Secrets, Settings, load_secrets, parse_settings
from bot.ledger import utc_now
from tests.fakes.discord import FakeChannel, FakeDiscord, FakeGuild, FakeInteraction, FakeMember, FakeMessage, run_bot
from tests.fakes.ideogram import FakeIdeogram

BOT_TOKEN = "fake-bot-token-Zx9"
API_KEY = "sk-fake-test-key-0123456789"
MANAGE_GUILD = 1 << 5


def png(size: tuple[int, int] = (64, 64), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class World:
    """One server with a channel, a member, a moderator, the running bot and both fakes."""

    discord: FakeDiscord
    ideogram: FakeIdeogram
    settings: Settings
    secrets: Secrets
    guild: FakeGuild
    channel: FakeChannel
    member: FakeMember
    moderator: FakeMember
    bot: IdeogramBot | None = None
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start_bot(self, *, clock: Callable[[], datetime] = utc_now, **overrides: Any) -> IdeogramBot:
        """Start the bot; keyword arguments override settings sections, e.g. budget={"max_jobs_per_member": 1}."""
        settings = (
            self.settings if not overrides else parse_settings(_merge(self.settings.model_dump(mode="json"), overrides))
        )
        bot = await self._stack.enter_async_context(
            assemble(settings, self.secrets, clock=clock, guild_ready_timeout=0.05)
        )
        await self._stack.enter_async_context(run_bot(self.discord, bot, token=BOT_TOKEN, point_urls=False))
        self.bot = bot
        return bot

    async def stop_bot(self) -> None:
        await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()
        self.bot = None

    async def slash(self, command: str, *, member: FakeMember | None = None, **options: Any) -> FakeInteraction:
        return await self.discord.slash(self.guild, self.channel, member or self.member, command, **options)

    async def result(self, interaction: FakeInteraction) -> FakeMessage:
        """The interaction's original response once it shows the result (an embed; before that it says "working"),
        and, when the bot runs in this process, once the job behind it is charged and recorded."""
        message: FakeMessage = await interaction.wait_for(
            lambda i: i.original is not None and bool(i.original.embeds) and i.original
        )
        if self.bot is not None:
            async with asyncio.timeout(self.discord.wait_timeout_s):
                await self.bot.jobs.recorded(message.id)
        return message

    async def private_reply(self, interaction: FakeInteraction) -> str:
        """The text of the ephemeral message the member got (an error or /balance)."""
        message = await interaction.wait_for(
            lambda i: next(
                (m for m in [i.original, *i.followups] if m is not None and m.ephemeral and not m.loading), None
            )
        )
        return str(message.content)

    def upload(self, data: bytes, filename: str = "input.png", content_type: str | None = None) -> Any:
        return self.discord.upload_attachment(filename, data, content_type)


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = _merge(merged.get(key, {}), value) if isinstance(value, dict) else value
    return merged


@pytest.fixture
def ideogram_options() -> dict[str, Any]:
    """Keyword arguments for `FakeIdeogram`; override with `@pytest.mark.parametrize("ideogram_options", [...])`."""
    return {}


@pytest.fixture
def discord_options() -> dict[str, Any]:
    """Keyword arguments for `FakeDiscord` (e.g. `shard_count`); override like `ideogram_options`."""
    return {}


@pytest.fixture
async def world(
    tmp_path: Path, ideogram_options: dict[str, Any], discord_options: dict[str, Any]
) -> AsyncIterator[World]:
    async with (
        FakeDiscord(BOT_TOKEN, **discord_options) as discord,
        FakeIdeogram(api_key=API_KEY, **ideogram_options) as ideogram,
    ):
        guild = discord.add_guild("Art Club")
        channel = discord.add_channel(guild, "art")
        member = discord.add_member(guild, "painter")
        moderator = discord.add_member(guild, "mod", permissions=MANAGE_GUILD)
        settings = parse_settings(
            {
                "discord": {
                    "api_base_url": discord.api_base_url,
                    "gateway_url": discord.gateway_url,
                    "sync_guild_ids": [guild.id],
                },
                "ideogram": {"base_url": ideogram.base_url, "image_hosts": ["127.0.0.1"], "timeout_s": 20},
                "database": {"path": str(tmp_path / "bot.sqlite3")},
                "budget": {"default_allowance": "1.00"},
            }
        )
        secrets = load_secrets({"DISCORD_TOKEN": BOT_TOKEN, "AIHUBMIX_API_KEY": API_KEY})
        world = World(discord, ideogram, settings, secrets, guild, channel, member, moderator)
        try:
            yield world
        finally:
            ideogram.resume_replies()  # a test that failed with replies paused must not stall the shutdown
            await world.stop_bot()
        assert [str(v) for v in discord.violations] == []


@pytest.fixture
async def running(world: World) -> World:
    await world.start_bot()
    return world


Predicate = Callable[[FakeMessage], bool]
