"""Two real bot processes (`python -m bot`, shards 0 and 1 of 2) sharing one PostgreSQL database, configured as an
operator would (TOML for the shards, DATABASE_URL in the environment), against a fake Discord with a server on
each shard and a fake image API that answers 429 beyond two images in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.e2e.conftest import API_KEY, BOT_TOKEN, World
from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 2


def write_config(world: World, tmp_path: Path, shard: int, guilds: list[int]) -> Path:
    config = tmp_path / f"config.shard-{shard}.toml"
    config.write_text(
        f"""
[discord]
api_base_url = "{world.discord.api_base_url}"
gateway_url = "{world.discord.gateway_url}"
sync_guild_ids = {guilds}
shard_count = 2
shard_ids = [{shard}]

[ideogram]
base_url = "{world.ideogram.base_url}"
image_hosts = ["127.0.0.1"]
max_concurrency = {LIMIT}

[budget]
max_jobs_per_member = 3
"""
    )
    return config


class Log:
    """A process's stderr, read as it comes; `ready` once it logged in (every shard of it connected)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.lines: list[str] = []
        self.ready = asyncio.Event()
        self.task = asyncio.create_task(self._read(process))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode()
            self.lines.append(line)
            if "logged in as" in line:
                self.ready.set()

    @property
    def text(self) -> str:
        return "".join(self.lines)


async def start(config: Path, tmp_path: Path, database_url: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DISCORD_TOKEN": BOT_TOKEN,
        "AIHUBMIX_API_KEY": API_KEY,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )


@pytest.mark.parametrize("discord_options", [{"shard_count": 2, "max_concurrency": 2}])
@pytest.mark.parametrize("ideogram_options", [{"max_in_flight_images": LIMIT}])
async def test_two_processes_serve_their_shards_with_one_ledger_and_one_api_limit(
    postgres: PostgresServer, postgres_url: str, world: World, tmp_path: Path
) -> None:
    other = world.discord.add_guild("Photo Club", shard=1 - (world.guild.id >> 22) % 2)
    channel, member = world.discord.add_channel(other, "photos"), world.discord.add_member(other, "photographer")
    guilds = [world.guild.id, other.id]
    processes = [await start(write_config(world, tmp_path, shard, guilds), tmp_path, postgres_url) for shard in (0, 1)]
    logs = [Log(process) for process in processes]
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(log.ready.wait() for log in logs))
        assert sorted(s.shard for s in world.discord.connected_sessions) == [(0, 2), (1, 2)]
        world.ideogram.pause_replies()
        jobs = [await world.slash("imagine", prompt=f"a lighthouse {n}") for n in range(3)]
        jobs += [
            await world.discord.slash(other, channel, member, "imagine", prompt=f"a harbour {n}") for n in range(3)
        ]
        await world.ideogram.wait_for_in_flight(LIMIT)
        world.ideogram.resume_replies()
        results = await asyncio.gather(*(world.result(job) for job in jobs))
        assert all(len(result.attachments) == 1 for result in results)
        assert world.ideogram.peak_in_flight_images == LIMIT
        assert all(request.status == 200 for request in world.ideogram.api_requests)  # never a 429
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process, log in zip(processes, logs, strict=True):
            await asyncio.wait_for(process.wait(), timeout=60)
            await log.task
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log.text
        assert "Traceback" not in log.text
        assert postgres.password not in log.text
    assert "in 1 servers, serving shards 0 of 2" in logs[0].text
    assert "in 1 servers, serving shards 1 of 2" in logs[1].text


@pytest.mark.parametrize("discord_options", [{"shard_count": 2, "max_concurrency": 2}])
async def test_a_killed_process_restarted_settles_only_its_own_holds(
    postgres: PostgresServer, postgres_url: str, world: World, tmp_path: Path
) -> None:
    other = world.discord.add_guild("Photo Club", shard=1 - (world.guild.id >> 22) % 2)
    channel, member = world.discord.add_channel(other, "photos"), world.discord.add_member(other, "photographer")
    guilds = [world.guild.id, other.id]
    configs = [write_config(world, tmp_path, shard, guilds) for shard in (0, 1)]
    processes = [await start(config, tmp_path, postgres_url) for config in configs]
    logs = [Log(process) for process in processes]
    doomed = (world.guild.id >> 22) % 2  # the process serving the world's server
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(log.ready.wait() for log in logs))
        world.ideogram.pause_replies()
        await world.slash("imagine", prompt="cut off by a crash")
        survivor_job = await world.discord.slash(other, channel, member, "imagine", prompt="finishes")
        await world.ideogram.wait_for_in_flight(2)  # both requests are at the API, both holds open

        processes[doomed].kill()  # SIGKILL: nothing settled, nothing released
        await processes[doomed].wait()
        await logs[doomed].task
        processes[doomed] = await start(configs[doomed], tmp_path, postgres_url)
        logs[doomed] = Log(processes[doomed])
        async with asyncio.timeout(60):
            await logs[doomed].ready.wait()  # recovery runs before it accepts anything

        conn = await asyncpg.connect(postgres_url)
        try:
            rows = await conn.fetch("SELECT guild_id, kind FROM ledger WHERE kind <> 'adjustment' ORDER BY id")
            open_holds = await conn.fetch("SELECT guild_id, instance_id FROM open_holds")
        finally:
            await conn.close()
        entries = {guild: [row["kind"] for row in rows if row["guild_id"] == guild] for guild in guilds}
        # The killed process's request had reached the API: its hold is now uncertain, charged to no one.
        assert entries[world.guild.id] == ["hold", "uncertain"]
        # The other process's hold is untouched, and its job goes on.
        assert entries[other.id] == ["hold"]
        assert [(row["guild_id"], row["instance_id"]) for row in open_holds] == [
            (other.id, f"shards {1 - doomed} of 2")
        ]
        world.ideogram.resume_replies()
        assert len((await world.result(survivor_job)).attachments) == 1
        assert "settled 1 hold(s) left open by a crash" in logs[doomed].text
    finally:
        world.ideogram.resume_replies()
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process, log in zip(processes, logs, strict=True):
            await asyncio.wait_for(process.wait(), timeout=60)
            await log.task
    assert "Traceback" not in logs[1 - doomed].text
