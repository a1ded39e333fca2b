"""`python -m bot` as an operator runs it: a real process, configured by TOML and the environment only."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e.conftest import API_KEY, BOT_TOKEN, World

ROOT = Path(__file__).resolve().parents[2]


async def test_the_process_serves_a_command_and_stops_cleanly_on_sigterm(world: World, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[discord]
api_base_url = "{world.discord.api_base_url}"
gateway_url = "{world.discord.gateway_url}"
sync_guild_ids = [{world.guild.id}]

[ideogram]
base_url = "{world.ideogram.base_url}"
image_hosts = ["127.0.0.1"]

[database]
path = "{tmp_path / "nested" / "bot.sqlite3"}"
"""
    )
    env = {**os.environ, "DISCORD_TOKEN": BOT_TOKEN, "AIHUBMIX_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        await world.discord.wait_for(lambda: world.discord.sync_count > 0, timeout=30, what="the command sync")
        await world.discord.wait_until_connected(timeout=30)
        interaction = await world.slash("imagine", prompt="from a real process")
        result = await world.result(interaction)
        assert len(result.attachments) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert API_KEY not in log
    assert BOT_TOKEN not in log
    assert "job" in log  # one INFO line per job
    assert (tmp_path / "nested" / "bot.sqlite3").exists()
