"""Start-up and the command contract: what is synced where and when, the option names DESIGN.md promises, and the
autocompletes for the long value tables."""

from __future__ import annotations

from typing import Any

import pytest

from bot.ideogram import catalog, values
from tests.e2e.conftest import World

# The command contract, read from the option catalogue (the one declaration of every option): names, required
# ones first in catalogue order, choices, autocompletes, Discord types and ranges.
COMMANDS = {
    name: (
        [option for option in command.options if option in catalog.required(command.operation)],
        [option for option in command.options if option not in catalog.required(command.operation)],
    )
    for name, command in catalog.COMMANDS.items()
}
CHOICES = {name: spec.values for name, spec in catalog.OPTIONS.items() if spec.values and not spec.autocomplete}
AUTOCOMPLETED = {name for name, spec in catalog.OPTIONS.items() if spec.autocomplete}
ATTACHMENTS = {name for name, spec in catalog.OPTIONS.items() if spec.kind == "attachment"}
ATTACHMENT = 11
INTEGER = 4


async def test_commands_are_synced_to_the_configured_guild_only(running: World) -> None:
    assert [scope for scope, _ in running.discord.sync_log] == [running.guild.id]
    assert running.discord.synced_commands(None) == []  # nothing global
    synced = {command["name"] for command in running.discord.synced_commands(running.guild)}
    assert set(COMMANDS) | {"balance", "budget"} <= synced


@pytest.mark.parametrize("name", COMMANDS)
async def test_a_command_offers_the_designed_options(running: World, name: str) -> None:
    required, optional = COMMANDS[name]
    command = running.discord.find_command(running.guild, name)
    options: list[dict[str, Any]] = command["options"]
    assert [o["name"] for o in options] == required + optional
    assert [o["name"] for o in options if o.get("required")] == required
    assert command["description"]
    for option in options:
        assert option["description"], f"/{name} {option['name']} has no description"
        if option["name"] in CHOICES:
            assert [c["value"] for c in option["choices"]] == list(CHOICES[option["name"]])
        assert bool(option.get("autocomplete")) == (option["name"] in AUTOCOMPLETED)
        spec = catalog.OPTIONS[option["name"]]
        if option["name"] in ATTACHMENTS:
            assert option["type"] == ATTACHMENT
        if spec.kind == "integer":
            assert (option["type"], option["min_value"], option["max_value"]) == (INTEGER, spec.low, spec.high)
        if option["name"] == "num_images":
            assert (option["min_value"], option["max_value"]) == (1, 8)


async def test_an_unchanged_tree_is_not_synced_again_on_restart(world: World) -> None:
    await world.start_bot()
    await world.stop_bot()
    await world.start_bot()
    assert world.discord.sync_count == 1

    # A guild added to sync_guild_ids is new to the bot: only it is synced.
    other = world.discord.add_guild("Second Club")
    await world.stop_bot()
    await world.start_bot(discord={"sync_guild_ids": [world.guild.id, other.id]})
    assert [scope for scope, _ in world.discord.sync_log] == [world.guild.id, other.id]


async def test_sync_on_start_always_syncs_every_start(world: World) -> None:
    await world.start_bot(discord={"sync_on_start": "always"})
    await world.stop_bot()
    await world.start_bot(discord={"sync_on_start": "always"})
    assert [scope for scope, _ in world.discord.sync_log] == [world.guild.id, world.guild.id]


@pytest.mark.parametrize(
    ("command", "option", "typed", "expected"),
    [
        ("imagine", "resolution", "1280", "1280x800"),
        ("imagine", "resolution", "1280:800", "1280x800"),
        ("reframe", "resolution", "x1536", "512x1536"),
        ("imagine", "style_preset", "water", "WATERCOLOR"),
        ("remix", "style_preset", "", "80S_ILLUSTRATION"),
        ("imagine", "color_palette", "pas", "PASTEL"),
    ],
)
async def test_autocomplete_offers_matching_values(
    running: World, command: str, option: str, typed: str, expected: str
) -> None:
    r = running
    choices = await r.discord.autocomplete(r.guild, r.channel, r.member, command, focused=option, value=typed)
    offered = [choice["value"] for choice in choices]
    assert expected in offered
    assert 1 <= len(offered) <= 25
    needle = typed.upper().replace(":", "X")
    assert all(needle in value.upper() for value in offered)
    assert all(choice["name"] == choice["value"] for choice in choices)


async def test_autocomplete_with_nothing_typed_offers_the_first_25(running: World) -> None:
    r = running
    choices = await r.discord.autocomplete(r.guild, r.channel, r.member, "imagine", focused="resolution", value="")
    assert [choice["value"] for choice in choices] == list(values.RESOLUTIONS_V3[:25])
