"""The seven generation commands, generated from the option catalogue, each handing over to the one pipeline.

`slash` builds a command's callback signature from `bot.ideogram.catalog` (real annotation objects, so
discord.py reads the parameters as if they were written out), then attaches descriptions, choices and
autocompletes from the same table: an option reads the same in every command, and a new option needs no code here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, Final, Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.ideogram.catalog import COMMANDS, OPTIONS, required
from bot.ideogram.option_spec import CommandSpec, OptionSpec
from bot.jobs import InputFile, JobSpec
from cogs.feedback import STARTS_A_JOB
from cogs.output import InteractionOutput
from cogs.sources import input_file, role_ids

Interaction = discord.Interaction[IdeogramBot]
MAX_AUTOCOMPLETE: Final = 25


def _autocomplete(table: Sequence[str]) -> Callable[[Interaction, str], Any]:
    async def complete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().upper().replace(":", "X").replace("*", "X")
        hits = [value for value in table if needle in value.upper()]
        return [app_commands.Choice(name=value, value=value) for value in hits[:MAX_AUTOCOMPLETE]]

    return complete


def annotation(spec: OptionSpec, *, is_required: bool) -> Any:
    """The type discord.py turns into the option's Discord type and range."""
    base: Any
    if spec.kind == "attachment":
        base = discord.Attachment
    elif spec.kind == "boolean":
        base = bool
    elif spec.kind == "integer":
        base = app_commands.Range[int, spec.low, spec.high]
    elif spec.low is not None or spec.high is not None:
        base = app_commands.Range[str, spec.low, spec.high]
    else:
        base = str
    return base if is_required else Optional[base]  # noqa: UP045 - a Range object has no `| None`


def slash(command: CommandSpec) -> app_commands.Command[Any, ..., None]:
    """The guild-only slash command for `command` (budgets belong to a server), its options from the catalogue."""

    async def callback(self: Generate, interaction: Interaction, **options: object) -> None:
        await self.run(interaction, command.operation)

    needed = set(required(command.operation))
    parameters = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Interaction),
    ]
    for name in command.options:
        is_required = name in needed
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation(OPTIONS[name], is_required=is_required),
                default=inspect.Parameter.empty if is_required else None,
            )
        )
    attribute = command.name.replace("-", "_")
    callback.__name__ = attribute
    callback.__qualname__ = f"Generate.{attribute}"  # discord.py tells a method (skips `self`) by its qualname
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]

    specs = [OPTIONS[name] for name in command.options]
    func: Any = app_commands.guild_only()(callback)
    func = app_commands.describe(**{spec.name: spec.description for spec in specs})(func)
    choices = {
        spec.name: [app_commands.Choice(name=value, value=value) for value in spec.values]
        for spec in specs
        if spec.values and not spec.autocomplete
    }
    if choices:
        func = app_commands.choices(**choices)(func)
    completes = {spec.name: _autocomplete(spec.values) for spec in specs if spec.autocomplete}
    if completes:
        func = app_commands.autocomplete(**completes)(func)
    return app_commands.command(name=command.name, description=command.description, extras={STARTS_A_JOB: True})(func)


def job_spec(interaction: Interaction, command: str, operation: str) -> JobSpec:
    """The options exactly as Discord sent them (after range checks): attachments apart, the rest as data."""
    assert interaction.guild_id is not None
    assert interaction.channel_id is not None
    settings: dict[str, object] = {}
    files: dict[str, InputFile] = {}
    invert = False
    for name, value in interaction.namespace:
        if isinstance(value, discord.Attachment):
            files[name] = input_file(value, name)
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
        role_ids=role_ids(interaction.user),
    )


class Generate(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    async def run(self, interaction: Interaction, operation: str) -> None:
        assert interaction.command is not None
        spec = job_spec(interaction, interaction.command.name, operation)
        await self.bot.jobs.submit(spec, InteractionOutput(interaction))

    imagine = slash(COMMANDS["imagine"])
    remix = slash(COMMANDS["remix"])
    edit = slash(COMMANDS["edit"])
    describe = slash(COMMANDS["describe"])
    upscale = slash(COMMANDS["upscale"])
    reframe = slash(COMMANDS["reframe"])
    replace_background = slash(COMMANDS["replace-background"])


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Generate(bot))
