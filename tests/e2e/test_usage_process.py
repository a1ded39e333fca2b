"""`python -m bot usage` in a real process, on a ledger the bot wrote: per server and in total, captured,
write-offs, uncertain and their sum (what AiHubMix should have billed)."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def usage(config: Path, *args: str) -> tuple[int | None, str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}  # no secrets needed
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "usage", "--config", str(config), *args, env=env, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_usage_without_a_ledger_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "missing.sqlite3"}"\n')
    code, _, errors = await usage(config)
    assert code == 2
    assert errors == f"configuration error: [database] path: there is no ledger at {tmp_path / 'missing.sqlite3'}\n"
    assert not (tmp_path / "missing.sqlite3").exists()
