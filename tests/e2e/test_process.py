"""`python -m bot` as an operator runs it: a real process, configured by TOML and the environment only."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e.conftest import API_KEY, BOT_TOKEN, World

ROOT = Path(__file__).resolve().parents[2]


def write_config(world: World, tmp_path: Path, database: Path) -> Path:
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
path = "{database}"
"""
    )
    return config


async def start(
    config: Path, tmp_path: Path, *, token: str = BOT_TOKEN, api_key: str = API_KEY
) -> asyncio.subprocess.Process:
    env = {**os.environ, "DISCORD_TOKEN": token, "AIHUBMIX_API_KEY": api_key, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )


async def test_the_process_serves_a_command_and_stops_cleanly_on_sigterm(world: World, tmp_path: Path) -> None:
    database = tmp_path / "nested" / "bot.sqlite3"
    process = await start(write_config(world, tmp_path, database), tmp_path)
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
    assert database.exists()


async def test_a_token_discord_rejects_is_one_clear_line_and_exit_code_2(world: World, tmp_path: Path) -> None:
    process = await start(write_config(world, tmp_path, tmp_path / "bot.sqlite3"), tmp_path, token="not-the-token")
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 2, log
    assert "configuration error: Discord rejected DISCORD_TOKEN" in log
    assert "Traceback" not in log
    assert "not-the-token" not in log
    refused = [v for v in world.discord.violations if v.kind == "auth"]
    assert len(refused) == 1  # the one login attempt, which the fake (like Discord) refused
    world.discord.violations.remove(refused[0])


async def test_a_database_path_that_cannot_be_opened_names_the_key(world: World, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    process = await start(write_config(world, tmp_path, blocker / "bot.sqlite3"), tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 2, log
    assert "configuration error: [database] path: cannot open" in log
    assert "Traceback" not in log
    assert world.discord.sync_count == 0  # it stopped before reaching Discord


async def test_a_rejected_aihubmix_key_is_logged_once_for_the_operator(world: World, tmp_path: Path) -> None:
    process = await start(write_config(world, tmp_path, tmp_path / "bot.sqlite3"), tmp_path, api_key="sk-wrong-key")
    try:
        await world.discord.wait_for(lambda: world.discord.sync_count > 0, timeout=30, what="the command sync")
        await world.discord.wait_until_connected(timeout=30)
        for prompt in ("first", "second"):
            interaction = await world.slash("imagine", prompt=prompt)
            text = await world.private_reply(interaction)
            assert "refused the bot's API key. Please tell the bot operator." in text  # what members saw before
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, log
    assert "AiHubMix rejected AIHUBMIX_API_KEY (HTTP 401)" in errors[0]
    assert "set AIHUBMIX_API_KEY and restart the bot" in errors[0]
    assert "sk-wrong-key" not in log
    assert process.returncode == 0, log
