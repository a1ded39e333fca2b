"""The fake Discord's sharding, proven with discord.py's real `AutoShardedBot`: sharded IDENTIFYs, the shard
count `GET /gateway/bot` recommends, and each guild's events reaching only the session of its shard."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fakes.discord import FakeDiscord, FakeGuild, run_bot

TOKEN = "fake-shard-token"


class ShardedBot(commands.AutoShardedBot):
    """Answers /where with the shard discord.py received the interaction on."""

    def __init__(self, guilds_to_sync: list[int], **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_reactions = True
        self.guilds_to_sync = guilds_to_sync
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05, **options)

        @self.tree.command()
        async def where(interaction: discord.Interaction) -> None:
            """Which shard am I on?"""
            await interaction.response.send_message(f"shard {interaction.guild.shard_id if interaction.guild else 0}")

    async def setup_hook(self) -> None:
        for guild in self.guilds_to_sync:
            self.tree.copy_global_to(guild=discord.Object(guild))
            await self.tree.sync(guild=discord.Object(guild))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # the fake announces enough max_concurrency for every shard at once


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(TOKEN, shard_count=2, max_concurrency=2) as started:
        yield started
        assert [str(v) for v in started.violations] == []


def on_shard(fake: FakeDiscord, shard: int) -> FakeGuild:
    guild = fake.add_guild(f"Shard {shard} server", shard=shard)
    fake.add_channel(guild, "general")
    fake.add_member(guild, "someone")
    return guild


def guild_events(fake: FakeDiscord, shard: int) -> list[tuple[str, int | None]]:
    session = next(s for s in fake.sessions if s.shard[0] == shard and s.connected)
    return [(event, guild) for event, guild in session.events if guild is not None]


async def test_the_recommended_count_brings_each_guild_on_its_own_shard(fake: FakeDiscord) -> None:
    zero, one = on_shard(fake, 0), on_shard(fake, 1)
    bot = ShardedBot([zero.id, one.id])
    async with run_bot(fake, bot, token=TOKEN):
        assert bot.shard_count == 2
        assert sorted(s.shard for s in fake.connected_sessions) == [(0, 2), (1, 2)]
        assert {g.id: g.shard_id for g in bot.guilds} == {zero.id: 0, one.id: 1}
        assert ("GUILD_CREATE", zero.id) in guild_events(fake, 0)
        assert all(guild == one.id for _, guild in guild_events(fake, 1))

        for guild, shard in ((zero, 0), (one, 1)):
            channel, member = guild.channels[0], next(m for m in guild.members.values() if m.user.username == "someone")
            interaction = await fake.slash(guild, channel, member, "where")
            assert (await interaction.wait_for_original()).content == f"shard {shard}"
            assert ("INTERACTION_CREATE", guild.id) in guild_events(fake, shard)
            assert ("INTERACTION_CREATE", guild.id) not in guild_events(fake, 1 - shard)

        message = await fake.post_message(one.channels[0], next(iter(one.members.values())), "hello")
        await fake.react(message, next(iter(one.members.values())), "🔁")  # returns once the event is sent
        assert ("MESSAGE_REACTION_ADD", one.id) in guild_events(fake, 1)
        assert ("MESSAGE_REACTION_ADD", one.id) not in guild_events(fake, 0)


async def test_a_process_with_one_shard_sees_only_its_guilds(fake: FakeDiscord) -> None:
    zero, one = on_shard(fake, 0), on_shard(fake, 1)
    bot = ShardedBot([zero.id, one.id], shard_count=2, shard_ids=[1])
    async with run_bot(fake, bot, token=TOKEN):
        assert [s.shard for s in fake.connected_sessions] == [(1, 2)]
        assert [g.id for g in bot.guilds] == [one.id]
        later, ignored = on_shard(fake, 1), on_shard(fake, 0)  # joined while running
        # A round trip on shard 1's session: the events sent before it have been handled when it returns.
        member = next(m for m in one.members.values() if m.user.username == "someone")
        await (await fake.slash(one, one.channels[0], member, "where")).wait_for_original()
        assert bot.get_guild(later.id) is not None
        assert bot.get_guild(ignored.id) is None
        member = next(m for m in zero.members.values() if m.user.username == "someone")
        with pytest.raises(AssertionError, match="no connected bot received the interaction"):
            await fake.slash(zero, zero.channels[0], member, "where")


async def identify(fake: FakeDiscord, shard: object) -> int | None:
    """IDENTIFY over a raw websocket; the close code the fake answered with (None: it sent READY)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()  # HELLO
        data: dict[str, Any] = {"token": TOKEN, "intents": 1, "properties": {}}
        if shard is not None:
            data["shard"] = shard
        await ws.send_str(json.dumps({"op": 2, "d": data}))
        reply = await ws.receive()
        if reply.type == aiohttp.WSMsgType.TEXT:
            assert json.loads(reply.data)["t"] == "READY"
            return None
        return ws.close_code


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,2", [True, 2], [0.0, 2]])
async def test_an_invalid_shard_is_closed_with_4010(fake: FakeDiscord, shard: object) -> None:
    assert await identify(fake, shard) == 4010


async def test_too_many_guilds_on_one_session_need_sharding(fake: FakeDiscord) -> None:
    fake.max_guilds_per_shard = 1
    on_shard(fake, 0), on_shard(fake, 1)
    assert await identify(fake, None) == 4011
    assert await identify(fake, [1, 2]) is None


async def test_ready_lists_only_the_shards_guilds_and_echoes_the_shard(fake: FakeDiscord) -> None:
    zero, one = on_shard(fake, 0), on_shard(fake, 1)
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()
        await ws.send_str(json.dumps({"op": 2, "d": {"token": TOKEN, "intents": 1, "properties": {}, "shard": [1, 2]}}))
        ready = await ws.receive_json()
        creates = [await ws.receive_json()]
    assert ready["d"]["shard"] == [1, 2]
    assert [g["id"] for g in ready["d"]["guilds"]] == [str(one.id)]
    assert [c["d"]["id"] for c in creates] == [str(one.id)]
    assert str(zero.id) not in json.dumps(ready)


async def test_gateway_bot_recommends_the_shard_count(fake: FakeDiscord) -> None:
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.api_base_url}/gateway/bot", headers=headers) as r,
    ):
        body = await r.json()
    assert body["shards"] == 2
    assert body["session_start_limit"]["max_concurrency"] == 2
    assert body["url"] == fake.gateway_url
