"""Commands synced globally by an earlier start must not show twice once `[discord] sync_guild_ids` is set."""

from __future__ import annotations

from tests.e2e.conftest import World


async def test_setting_sync_guild_ids_removes_the_global_commands_an_earlier_start_synced(world: World) -> None:
    await world.start_bot(discord={"sync_guild_ids": []})  # the operator started before writing the config
    assert {command["name"] for command in world.discord.synced_commands(None)} >= {"imagine", "balance"}
    await world.stop_bot()

    await world.start_bot()  # now with sync_guild_ids = [the guild]
    assert world.discord.synced_commands(None) == []
    assert {command["name"] for command in world.discord.synced_commands(world.guild)} >= {"imagine", "balance"}
    assert [scope for scope, _ in world.discord.sync_log] == [None, None, world.guild.id]  # cleared, then synced
    assert world.discord.sync_log[1][1] == []

    # Back to global: the tree is synced again (its remembered hash was forgotten with the clear).
    await world.stop_bot()
    await world.start_bot(discord={"sync_guild_ids": []})
    assert {command["name"] for command in world.discord.synced_commands(None)} >= {"imagine", "balance"}


async def test_nothing_is_cleared_when_there_are_no_global_commands(world: World) -> None:
    await world.start_bot()
    assert [scope for scope, _ in world.discord.sync_log] == [world.guild.id]
