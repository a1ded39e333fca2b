"""`python -m bot usage` in a real process, on a ledger the bot wrote: per server and in total, captured,
write-offs, uncertain and their sum (what AiHubMix should have billed)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from asyncio.subprocess import PIPE
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.money import format_amount, plain_amount
from tests.e2e.conftest import World
from tests.e2e.support import failed_privately
from tests.fakes.ideogram import Latency, ServerError

ROOT = Path(__file__).resolve().parents[2]
TURBO = 30_000  # a V3 TURBO image, in micro-dollars


async def usage(config: Path, *args: str) -> tuple[int | None, str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}  # no secrets needed
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "usage", "--config", str(config), *args, env=env, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_usage_adds_up_what_the_provider_billed_per_server(world: World, tmp_path: Path) -> None:
    other = world.discord.add_guild("Second Club")
    other_channel = world.discord.add_channel(other, "sculpture")
    sculptor = world.discord.add_member(other, "sculptor")
    # First server: one result delivered (captured from the member) and two images made but never downloaded
    # (written off). Commands synced globally, so both servers have them.
    await world.start_bot(discord={"sync_guild_ids": []})
    result = await world.result(await world.slash("imagine", prompt="counted", rendering_speed="TURBO"))
    assert result.attachments
    world.ideogram.inject(ServerError(500), route="/images")
    await failed_privately(world, await world.slash("imagine", prompt="lost", num_images=2, rendering_speed="TURBO"))
    # Second server: a request that timed out at the API (uncertain: it may have been billed).
    await world.stop_bot()
    await world.start_bot(discord={"sync_guild_ids": []}, ideogram={"timeout_s": 0.3})
    world.ideogram.inject(Latency(5))
    slow = await world.discord.slash(other, other_channel, sculptor, "imagine", prompt="slow", rendering_speed="TURBO")
    await failed_privately(world, slow)
    await world.stop_bot()

    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{world.settings.database.path}"\n')
    expected = {  # captured, write-offs, uncertain, billed
        str(world.guild.id): (TURBO, 2 * TURBO, 0, 3 * TURBO),
        str(other.id): (0, 0, TURBO, TURBO),
        "total": (TURBO, 2 * TURBO, TURBO, 4 * TURBO),
    }
    code, text, errors = await usage(config)
    assert (code, errors) == (0, "")
    lines = text.splitlines()[2:5]
    assert [line.split()[0] for line in lines] == [*sorted([str(world.guild.id), str(other.id)]), "total"]
    assert {line.split()[0]: line.split()[1:5] for line in lines} == {
        label: [format_amount(v) for v in values] for label, values in expected.items()
    }

    code, text, errors = await usage(config, "--csv", "--guild", str(world.guild.id))
    assert (code, errors) == (0, "")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [row["guild_id"] for row in table] == [str(world.guild.id), "total"]
    assert [row["billed_usd"] for row in table] == [plain_amount(3 * TURBO)] * 2
    assert table[0]["write_offs_usd"] == plain_amount(2 * TURBO)

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    code, text, _ = await usage(config, "--since", tomorrow)
    assert (code, text.splitlines()[1]) == (0, "Nothing was captured, written off or uncertain in that time.")


async def test_usage_without_a_ledger_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "missing.sqlite3"}"\n')
    code, _, errors = await usage(config)
    assert code == 2
    assert errors == f"configuration error: [database] path: there is no ledger at {tmp_path / 'missing.sqlite3'}\n"
    assert not (tmp_path / "missing.sqlite3").exists()
