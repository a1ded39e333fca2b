"""The bot on several shards: `[discord] shard_count`/`shard_ids` against a fake Discord that recommends two
shards and routes each server's events to its shard, as Discord does."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import World
from tests.fakes.discord import FakeChannel, FakeGuild, FakeMember

pytestmark = pytest.mark.parametrize("discord_options", [{"shard_count": 2, "max_concurrency": 2}])


def shard_of(guild: FakeGuild) -> int:
    return (guild.id >> 22) % 2


def other_server(world: World) -> tuple[FakeGuild, FakeChannel, FakeMember]:
    """A second server, on the shard the world's server is not on."""
    guild = world.discord.add_guild("Photo Club", shard=1 - shard_of(world.guild))
    return guild, world.discord.add_channel(guild, "photos"), world.discord.add_member(guild, "photographer")


async def test_one_process_runs_the_recommended_shards_and_serves_each_server(world: World) -> None:
    guild, channel, member = other_server(world)
    bot = await world.start_bot(discord={"sync_guild_ids": [world.guild.id, guild.id]})
    assert bot.shard_count == 2
    assert bot.identify_pacer.max_concurrency == 2
    assert sorted(s.shard for s in world.discord.connected_sessions) == [(0, 2), (1, 2)]
    assert {g.id: g.shard_id for g in bot.guilds} == {world.guild.id: shard_of(world.guild), guild.id: shard_of(guild)}

    here = await world.slash("imagine", prompt="a lighthouse")
    there = await world.discord.slash(guild, channel, member, "imagine", prompt="a harbour")
    assert len((await world.result(here)).attachments) == 1
    assert len((await world.result(there)).attachments) == 1
    for server in (world.guild, guild):
        session = next(s for s in world.discord.connected_sessions if s.shard[0] == shard_of(server))
        assert ("INTERACTION_CREATE", server.id) in session.events


async def test_a_process_with_shard_ids_sees_only_the_servers_on_its_shards(world: World) -> None:
    guild, channel, member = other_server(world)
    mine = shard_of(guild)
    servers = [world.guild.id, guild.id]
    bot = await world.start_bot(discord={"sync_guild_ids": servers, "shard_count": 2, "shard_ids": [mine]})
    assert [s.shard for s in world.discord.connected_sessions] == [(mine, 2)]
    assert [g.id for g in bot.guilds] == [guild.id]
    result = await world.result(await world.discord.slash(guild, channel, member, "imagine", prompt="a harbour"))
    assert len(result.attachments) == 1
    with pytest.raises(AssertionError, match="no connected bot received the interaction"):
        await world.slash("balance")
