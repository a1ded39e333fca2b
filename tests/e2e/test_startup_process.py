"""Start-up as an operator meets it, in a real `python -m bot` process: Discord unreachable or silent, Ctrl-C or
SIGTERM while starting, the logged-in line and the heartbeat the Docker healthcheck reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.conftest import API_KEY, BOT_TOKEN, World

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, *, api: str, gateway: str, timeout_s: float, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[discord]
api_base_url = "{api}"
gateway_url = "{gateway}"
connect_timeout_s = {timeout_s}
{extra}
[ideogram]
base_url = "http://127.0.0.1:9"

[database]
path = "{tmp_path / "bot.sqlite3"}"
"""
    )
    return config


async def start(config: Path, tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        "DISCORD_TOKEN": BOT_TOKEN,
        "AIHUBMIX_API_KEY": API_KEY,
        "PYTHONPATH": str(ROOT),
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        env=environment,
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> str:
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return stderr.decode()


class SilentServer:
    """Accepts TCP connections and never answers: a firewall that drops, or the wrong host."""

    def __init__(self) -> None:
        self.accepted = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.accepted.set()
        await reader.read()  # hold the connection open until the client gives up

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"127.0.0.1:{port}"
        finally:
            for writer in self._writers:
                writer.close()
            server.close()
            await server.wait_closed()


def assert_one_clean_line(log: str, expected: str) -> None:
    assert "Traceback" not in log, log
    lines = [line for line in log.splitlines() if "start-up failed" in line]
    assert len(lines) == 1, log
    assert expected in lines[0], log


async def test_discord_refusing_connections_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path, api=f"http://127.0.0.1:{port}/api/v10", gateway=f"ws://127.0.0.1:{port}/", timeout_s=30
    )
    log = await finish(process := await start(config, tmp_path))
    assert process.returncode == 1, log
    assert_one_clean_line(log, f"cannot reach Discord's API at 127.0.0.1:{port} (connection refused)")
    assert "set [discord] proxy" in log
    assert "[discord] api_base_url" in log


async def test_a_proxy_that_refuses_is_named_instead_of_discord(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path,
        api="http://discord.invalid/api/v10",
        gateway="ws://discord.invalid/",
        timeout_s=30,
        extra=f'proxy = "http://user:secret-pass@127.0.0.1:{port}"',
    )
    log = await finish(process := await start(config, tmp_path))
    assert process.returncode == 1, log
    assert_one_clean_line(log, f"check that the proxy 127.0.0.1:{port} ([discord] proxy) is running")
    assert "secret-pass" not in log


async def test_a_silent_discord_gives_up_after_connect_timeout_s(tmp_path: Path) -> None:
    silent = SilentServer()
    async with silent.running() as address:
        config = write_config(tmp_path, api=f"http://{address}/api/v10", gateway=f"ws://{address}/", timeout_s=1.5)
        log = await finish(process := await start(config, tmp_path))
    assert silent.accepted.is_set()
    assert process.returncode == 1, log
    assert_one_clean_line(log, f"Discord's API at {address} did not answer within 1.5 s")
    assert "[discord] connect_timeout_s" in log


async def test_a_gateway_that_cannot_be_reached_is_named_after_the_api_answered(world: World, tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path,
        api=world.discord.api_base_url,
        gateway=f"ws://127.0.0.1:{port}/",
        timeout_s=30,
        extra=f"sync_guild_ids = [{world.guild.id}]",
    )
    log = await finish(process := await start(config, tmp_path))
    assert process.returncode == 1, log
    assert_one_clean_line(log, f"cannot reach Discord's gateway at 127.0.0.1:{port} (connection refused)")
    assert "[discord] gateway_url" in log
    assert "ERROR" not in log


async def test_a_silent_gateway_gives_up_after_connect_timeout_s(world: World, tmp_path: Path) -> None:
    silent = SilentServer()
    async with silent.running() as address:
        config = write_config(
            tmp_path,
            api=world.discord.api_base_url,
            gateway=f"ws://{address}/",
            timeout_s=1.5,
            extra=f"sync_guild_ids = [{world.guild.id}]",
        )
        log = await finish(process := await start(config, tmp_path))
    assert silent.accepted.is_set()
    assert process.returncode == 1, log
    assert_one_clean_line(log, f"Discord's gateway at {address} did not answer within 1.5 s")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_ctrl_c_or_sigterm_while_connecting_stops_cleanly(tmp_path: Path, signum: int) -> None:
    silent = SilentServer()
    async with silent.running() as address:
        config = write_config(tmp_path, api=f"http://{address}/api/v10", gateway=f"ws://{address}/", timeout_s=120)
        process = await start(config, tmp_path)
        try:
            await asyncio.wait_for(silent.accepted.wait(), timeout=30)  # it is waiting for Discord now
        finally:
            process.send_signal(signum)
        log = await finish(process)
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert "stopped before the bot was connected" in log


async def health(heartbeat: Path, *args: str) -> tuple[int | None, str, str]:
    """`python -m bot health` as Docker's healthcheck runs it: (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_HEARTBEAT_FILE": str(heartbeat)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "health", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_connected_it_says_who_it_is_and_keeps_a_heartbeat(world: World, tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    code, _, said = await health(heartbeat)
    assert (code, "no heartbeat" in said) == (1, True)

    config = write_config(
        tmp_path,
        api=world.discord.api_base_url,
        gateway=world.discord.gateway_url,
        timeout_s=30,
        extra=f"sync_guild_ids = [{world.guild.id}]",
    )
    process = await start(config, tmp_path, BOT_HEARTBEAT_FILE=str(heartbeat))
    assert process.stderr is not None
    seen: list[str] = []
    try:
        while not any("logged in as" in line for line in seen):
            line = (await asyncio.wait_for(process.stderr.readline(), timeout=60)).decode()
            assert line, "".join(seen)
            seen.append(line)
        during = await health(heartbeat)
    finally:
        process.send_signal(signal.SIGTERM)
        log = "".join(seen) + await finish(process)
    bot = world.discord.bot_user
    logged_in = [line for line in log.splitlines() if "logged in as" in line]
    assert len(logged_in) == 1
    assert f"logged in as {bot.username} (id {bot.id}), in 1 servers" in logged_in[0]
    assert (during[0], during[1].startswith("healthy")) == (0, True), during
    code, _, said = await health(heartbeat, "--max-age", "0")
    assert (code, "the bot is not connected" in said) == (1, True)
    assert process.returncode == 0, log
    assert "Traceback" not in log
