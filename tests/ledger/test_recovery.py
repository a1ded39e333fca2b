"""A crash mid-job leaves a hold open in the file; the next start releases it and fails the job."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.ledger import CRASH_RELEASE_REASON, Ledger

from .conftest import ALICE, BOB, DOLLAR, GUILD, Clock, new_job

REPO = Path(__file__).resolve().parents[2]

# Opens the ledger, starts a job, holds for it, and dies on the spot: no release, no close, no clean-up.
CRASHING_BOT = """
import asyncio, os, sys
from datetime import datetime
from bot.ledger import Ledger

async def main(path, now):
    clock = lambda: datetime.fromisoformat(now)
    ledger = await Ledger.open(path, default_allowance=1_000_000, default_period="month", clock=clock)
    job = await ledger.create_job(guild_id=10, channel_id=55, user_id=101, command="imagine",
                                  operation="generate", parameters={}, prompt="cat")
    hold = await ledger.hold(guild_id=10, user_id=101, amount=300_000, job_id=job)
    print(job, hold.id, flush=True)
    os._exit(1)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_killed_process_leaves_a_hold_that_recover_releases(db_path: Path, clock: Clock) -> None:
    crashed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_BOT,
        str(db_path),
        clock.now.isoformat(),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(crashed.communicate(), timeout=60)
    assert crashed.returncode == 1, stderr.decode()
    job_id, hold_id = map(int, stdout.split())

    ledger = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        assert (await ledger.balance(GUILD, ALICE)).held == 300_000  # the hold survived the crash
        assert await ledger.recover() == 1
        balance = await ledger.balance(GUILD, ALICE)
        assert (balance.held, balance.spent, balance.remaining) == (0, 0, DOLLAR)
        release = (await ledger.history(GUILD, ALICE, limit=1))[0]
        assert (release.kind, release.amount, release.hold_id, release.job_id) == ("release", 300_000, hold_id, job_id)
        assert (release.reason, release.actor_id) == (CRASH_RELEASE_REASON, None)
        job = await ledger.job(job_id)
        assert job is not None
        assert job.status == "failed"
        assert await ledger.recover() == 0  # nothing left to do the second time
    finally:
        await ledger.close()


async def test_recover_releases_only_what_is_open_and_fails_only_running_jobs(db_path: Path, clock: Clock) -> None:
    crashed = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    done_job = await new_job(crashed)
    done = await crashed.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=done_job)
    await crashed.capture(done, 60_000)
    await crashed.finish_job(done_job, cost=60_000, message_id=1, seed=7, images=[])
    cut_off_jobs = [await new_job(crashed, user_id=member) for member in (ALICE, BOB)]
    for member, job in zip((ALICE, BOB), cut_off_jobs, strict=True):
        await crashed.hold(guild_id=GUILD, user_id=member, amount=200_000, job_id=job)
    # The "crashed" ledger is never closed while the next start recovers from the same file.
    restarted = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        assert await restarted.recover() == 2
        assert (await restarted.balance(GUILD, ALICE)).spent == 60_000
        assert (await restarted.balance(GUILD, BOB)).held == 0
        statuses = [(await restarted.job(job)).status for job in (done_job, *cut_off_jobs)]  # type: ignore[union-attr]
        assert statuses == ["succeeded", "failed", "failed"]
        kinds = [(e.kind, e.reason) for e in await restarted.entries(GUILD) if e.kind == "release"]
        assert kinds == [("release", CRASH_RELEASE_REASON)] * 2
    finally:
        await restarted.close()
        await crashed.close()
