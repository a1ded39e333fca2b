"""The bot with DATABASE_URL: the ledger in PostgreSQL, and two bot processes (shards 0 and 1 of 2) sharing it
and one API limit, against a fake Discord with a server on each shard and a strict fake image API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
import pytest

from bot.app import IdeogramBot, assemble
from bot.config import load_secrets, parse_settings
from tests.e2e.conftest import API_KEY, BOT_TOKEN, World, _merge
from tests.fakes.discord import run_bot
from tests.postgres import PostgresServer


def with_database(world: World, url: str) -> None:
    world.secrets = load_secrets({"DISCORD_TOKEN": BOT_TOKEN, "AIHUBMIX_API_KEY": API_KEY, "DATABASE_URL": url})


async def test_the_ledger_lives_in_postgresql_and_the_password_stays_secret(
    postgres: PostgresServer, postgres_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:  # (the database is requested first, so the bot stops before it is dropped)
    caplog.set_level(logging.DEBUG)
    with_database(world, postgres_url)
    bot = await world.start_bot()
    result = await world.result(await world.slash("imagine", prompt="a lighthouse", num_images=2))
    assert len(result.attachments) == 2
    assert (await bot.ledger.balance(world.guild.id, world.member.id)).spent == 2 * 60_000

    conn = await asyncpg.connect(postgres_url)
    try:
        kinds = [row["kind"] for row in await conn.fetch("SELECT kind FROM ledger ORDER BY id")]
        leases = await conn.fetchval("SELECT count(*) FROM api_leases")
    finally:
        await conn.close()
    assert kinds == ["hold", "capture"]
    assert leases == 0  # the API slot was given back
    assert world.discord.find_secret(postgres.password) == []
    assert postgres.password not in caplog.text


async def test_an_unreachable_database_is_one_line_naming_it(postgres: PostgresServer, world: World) -> None:
    from bot.startup import Unreachable

    with_database(world, postgres.url("postgres").replace(postgres.password, "wrong-password-77"))
    with pytest.raises(Unreachable) as refused:
        await world.start_bot()
    assert "wrong-password-77" not in str(refused.value)
    assert "DATABASE_URL" in str(refused.value)


LIMIT = 2


async def recorded_by_any(bots: list[IdeogramBot], message_id: int) -> None:
    waits = [asyncio.create_task(bot.jobs.recorded(message_id)) for bot in bots]
    try:
        async with asyncio.timeout(10):
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


@pytest.mark.parametrize("discord_options", [{"shard_count": 2, "max_concurrency": 2}])
@pytest.mark.parametrize("ideogram_options", [{"max_in_flight_images": LIMIT}])  # 429 beyond the limit
async def test_two_processes_share_the_ledger_and_one_api_limit(postgres_url: str, world: World) -> None:
    with_database(world, postgres_url)
    other = world.discord.add_guild("Photo Club", shard=1 - (world.guild.id >> 22) % 2)
    channel, member = world.discord.add_channel(other, "photos"), world.discord.add_member(other, "photographer")
    servers = {(world.guild.id >> 22) % 2: world.guild, (other.id >> 22) % 2: other}
    bots: list[IdeogramBot] = []
    async with contextlib.AsyncExitStack() as stack:
        for shard in (0, 1):
            overrides: dict[str, Any] = {
                "discord": {"sync_guild_ids": [world.guild.id, other.id], "shard_count": 2, "shard_ids": [shard]},
                "ideogram": {"max_concurrency": LIMIT},
                "budget": {"max_jobs_per_member": 3},
            }
            settings = parse_settings(_merge(world.settings.model_dump(mode="json"), overrides))
            bot = await stack.enter_async_context(assemble(settings, world.secrets, guild_ready_timeout=0.05))
            await stack.enter_async_context(run_bot(world.discord, bot, token=BOT_TOKEN, point_urls=False))
            bots.append(bot)
        assert [[g.id for g in bot.guilds] for bot in bots] == [[servers[0].id], [servers[1].id]]

        world.ideogram.pause_replies()
        jobs = [await world.slash("imagine", prompt=f"a lighthouse {n}") for n in range(3)]
        jobs += [
            await world.discord.slash(other, channel, member, "imagine", prompt=f"a harbour {n}") for n in range(3)
        ]
        await world.ideogram.wait_for_in_flight(LIMIT)
        world.ideogram.resume_replies()
        results = await asyncio.gather(*(world.result(job) for job in jobs))
        for result in results:  # and charged and recorded, by whichever process ran the job
            await recorded_by_any(bots, result.id)
        assert all(len(result.attachments) == 1 for result in results)
        assert world.ideogram.peak_in_flight_images == LIMIT
        assert all(request.status == 200 for request in world.ideogram.api_requests)

        # One ledger: each process sees what the other charged.
        for bot in bots:
            assert (await bot.ledger.balance(world.guild.id, world.member.id)).spent == 3 * 60_000
            assert (await bot.ledger.balance(other.id, member.id)).spent == 3 * 60_000


@pytest.mark.parametrize("discord_options", [{"shard_count": 2, "max_concurrency": 2}])
async def test_the_operator_cap_is_shared_by_both_processes(postgres_url: str, world: World) -> None:
    with_database(world, postgres_url)
    other = world.discord.add_guild("Photo Club", shard=1 - (world.guild.id >> 22) % 2)
    channel, member = world.discord.add_channel(other, "photos"), world.discord.add_member(other, "photographer")
    async with contextlib.AsyncExitStack() as stack:
        for shard in (0, 1):
            overrides: dict[str, Any] = {
                "discord": {"sync_guild_ids": [world.guild.id, other.id], "shard_count": 2, "shard_ids": [shard]},
                # Three one-image DEFAULT jobs ($0.06 each) fit under the cap, in both servers together.
                "budget": {"max_jobs_per_member": 3, "operator_cap": "0.18"},
            }
            settings = parse_settings(_merge(world.settings.model_dump(mode="json"), overrides))
            bot = await stack.enter_async_context(assemble(settings, world.secrets, guild_ready_timeout=0.05))
            await stack.enter_async_context(run_bot(world.discord, bot, token=BOT_TOKEN, point_urls=False))

        world.ideogram.pause_replies()  # every job that got its hold stays in flight: holds overlap
        jobs = [await world.slash("imagine", prompt=f"a lighthouse {n}") for n in range(3)]
        jobs += [
            await world.discord.slash(other, channel, member, "imagine", prompt=f"a harbour {n}") for n in range(3)
        ]
        await world.ideogram.wait_for_in_flight(3)

        def refusals() -> list[Any]:
            return [
                job for job in jobs if any(m.ephemeral and not m.loading for m in [job.original, *job.followups] if m)
            ]

        refused = await world.discord.wait_for(lambda: len(refusals()) >= 3 and refusals(), what="three refusals")
        world.ideogram.resume_replies()
        texts = [m.content for job in refused for m in [job.original, *job.followups] if m and m.ephemeral]
        assert all("left for all servers together" in text for text in texts), texts
        delivered = [job for job in jobs if job not in refused]
        results = await asyncio.gather(*(world.result(job) for job in delivered))
    assert len(results) == 3  # exactly the jobs that fit, in both processes together
    assert len(refused) == 3
    assert world.ideogram.peak_in_flight_images == 3
