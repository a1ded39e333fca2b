"""The seven generation commands. Each declares its options for Discord and hands over to the one pipeline.

Option names are the API's (DESIGN.md); choices, ranges, autocompletes and descriptions are attached by
`options()` from one table, so the same option reads the same in every command.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.ideogram import values
from bot.jobs import InputFile, JobSpec
from cogs.output import InteractionOutput

Interaction = discord.Interaction[IdeogramBot]
NumImages = app_commands.Range[int, 1, 8]
Seed = app_commands.Range[int, 0, 2_147_483_647]
Percent = app_commands.Range[int, 1, 100]
Prompt = app_commands.Range[str, 1, 4000]
F = TypeVar("F", bound=Callable[..., Any])

DESCRIPTIONS: Final = {
    "prompt": "What to draw",
    "image": "The image to work on (PNG, JPEG or WebP)",
    "mask": "Black where the image should change, white where it stays",
    "negative_prompt": "What to leave out",
    "aspect_ratio": "Shape of the image, e.g. 16x9 (not with resolution)",
    "rendering_speed": "FLASH/TURBO are cheapest, QUALITY is best",
    "style_type": "Overall style",
    "magic_prompt": "Let Ideogram expand your prompt",
    "num_images": "How many images, 1-8 (each one is charged)",
    "seed": "Same seed + same prompt = similar result",
    "model": "Ideogram model (V_3 is the newest)",
    "resolution": "Exact size in pixels, e.g. 1280x800 (not with aspect_ratio)",
    "style_preset": "A named look, e.g. WATERCOLOR (V_3 only)",
    "color_palette": "A preset (e.g. PASTEL) or hex colours like #ff0000,#00ff00",
    "style_reference": "An image whose style to follow (V_3 only)",
    "image_weight": "How closely to follow the image, 1-100 (default 50)",
    "invert_mask": "Swap black and white in the mask",
    "model_version": "Describe model",
    "resemblance": "How close to the original, 1-100",
    "detail": "How much detail to add, 1-100",
}

CHOICES: Final[dict[str, Sequence[str]]] = {
    "aspect_ratio": values.ASPECT_RATIOS_V3,
    "rendering_speed": values.RENDERING_SPEEDS,
    "style_type": (*values.STYLE_TYPES_V3, *values.LEGACY_ONLY_STYLE_TYPES),
    "magic_prompt": values.MAGIC_PROMPT_OPTIONS,
    "model": values.MODELS,
    "model_version": values.DESCRIBE_MODEL_VERSIONS,
}
AUTOCOMPLETE: Final[dict[str, Sequence[str]]] = {
    "resolution": values.RESOLUTIONS_V3,
    "style_preset": values.STYLE_PRESETS,
    "color_palette": values.COLOR_PALETTE_PRESETS,
}


def _autocomplete(table: Sequence[str]) -> Callable[[Interaction, str], Any]:
    async def complete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().upper().replace(":", "X").replace("*", "X")
        hits = [value for value in table if needle in value.upper()]
        return [app_commands.Choice(name=value, value=value) for value in hits[:25]]

    return complete


def options(func: F) -> F:
    """Attach descriptions, choices and autocompletes to whichever of the shared options `func` declares.

    Generation commands are guild-only: budgets belong to a server.
    """
    names = [name for name in inspect.signature(func).parameters if name not in ("self", "interaction")]
    func = app_commands.guild_only()(func)
    func = app_commands.describe(**{name: DESCRIPTIONS[name] for name in names})(func)
    choices = {
        name: [app_commands.Choice(name=value, value=value) for value in CHOICES[name]]
        for name in names
        if name in CHOICES
    }
    if choices:
        func = app_commands.choices(**choices)(func)
    completes = {name: _autocomplete(AUTOCOMPLETE[name]) for name in names if name in AUTOCOMPLETE}
    if completes:
        func = app_commands.autocomplete(**completes)(func)
    return func


def job_spec(interaction: Interaction, command: str, operation: str) -> JobSpec:
    """The options exactly as Discord sent them (after range checks): attachments apart, the rest as data."""
    assert interaction.guild_id is not None
    assert interaction.channel_id is not None
    settings: dict[str, object] = {}
    files: dict[str, InputFile] = {}
    invert = False
    for name, value in interaction.namespace:
        if isinstance(value, discord.Attachment):
            files[name] = InputFile(name, value.filename, value.size, value.content_type, value.read)
        elif name == "invert_mask":
            invert = bool(value)
        elif value is not None:
            settings[name] = value
    return JobSpec(
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        user_id=interaction.user.id,
        command=command,
        operation=operation,
        options=settings,
        files=files,
        invert_mask=invert,
    )


class Generate(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    async def _run(self, interaction: Interaction, operation: str) -> None:
        assert interaction.command is not None
        spec = job_spec(interaction, interaction.command.name, operation)
        await self.bot.jobs.submit(spec, InteractionOutput(interaction))

    @app_commands.command(name="imagine")
    @options
    async def imagine(
        self,
        interaction: Interaction,
        prompt: Prompt,
        negative_prompt: str | None = None,
        aspect_ratio: str | None = None,
        rendering_speed: str | None = None,
        style_type: str | None = None,
        magic_prompt: str | None = None,
        num_images: NumImages | None = None,
        seed: Seed | None = None,
        model: str | None = None,
        resolution: str | None = None,
        style_preset: str | None = None,
        color_palette: str | None = None,
        style_reference: discord.Attachment | None = None,
    ) -> None:
        """Create images from a prompt."""
        await self._run(interaction, "generate")

    @app_commands.command(name="remix")
    @options
    async def remix(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        prompt: Prompt,
        image_weight: Percent | None = None,
        negative_prompt: str | None = None,
        aspect_ratio: str | None = None,
        rendering_speed: str | None = None,
        style_type: str | None = None,
        magic_prompt: str | None = None,
        num_images: NumImages | None = None,
        seed: Seed | None = None,
        model: str | None = None,
        resolution: str | None = None,
        style_preset: str | None = None,
        color_palette: str | None = None,
        style_reference: discord.Attachment | None = None,
    ) -> None:
        """Make new images from an image and a prompt."""
        await self._run(interaction, "remix")

    @app_commands.command(name="edit")
    @options
    async def edit(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        mask: discord.Attachment,
        prompt: Prompt,
        rendering_speed: str | None = None,
        magic_prompt: str | None = None,
        num_images: NumImages | None = None,
        seed: Seed | None = None,
        style_type: str | None = None,
        model: str | None = None,
        invert_mask: bool | None = None,
    ) -> None:
        """Repaint the black part of a mask on an image."""
        await self._run(interaction, "edit")

    @app_commands.command(name="describe")
    @options
    async def describe(
        self, interaction: Interaction, image: discord.Attachment, model_version: str | None = None
    ) -> None:
        """Describe an image in words."""
        await self._run(interaction, "describe")

    @app_commands.command(name="upscale")
    @options
    async def upscale(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        prompt: str | None = None,
        resemblance: Percent | None = None,
        detail: Percent | None = None,
        magic_prompt: str | None = None,
        num_images: NumImages | None = None,
        seed: Seed | None = None,
    ) -> None:
        """Enlarge an image up to 2x."""
        await self._run(interaction, "upscale")

    @app_commands.command(name="reframe")
    @options
    async def reframe(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        resolution: str,
        rendering_speed: str | None = None,
        num_images: NumImages | None = None,
        seed: Seed | None = None,
    ) -> None:
        """Extend a square image to a new size."""
        await self._run(interaction, "reframe")

    @app_commands.command(name="replace-background")
    @options
    async def replace_background(
        self,
        interaction: Interaction,
        image: discord.Attachment,
        prompt: Prompt,
        rendering_speed: str | None = None,
        magic_prompt: str | None = None,
        num_images: NumImages | None = None,
        seed: Seed | None = None,
        style_reference: discord.Attachment | None = None,
    ) -> None:
        """Keep the subject, paint a new background."""
        await self._run(interaction, "replace_background")


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Generate(bot))
