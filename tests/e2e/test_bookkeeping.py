"""Nothing paid for is ever removed: once a result is posted, a failure to record it is logged, never told."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.jobs.runner import RECORD_FAILED
from tests.e2e.conftest import World
from tests.e2e.support import balance, jobs


async def test_a_result_stays_when_recording_the_job_fails_after_delivery(
    running: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bot = running.bot
    assert bot is not None
    recorded = asyncio.Event()

    async def broken_finish_job(job_id: int, **details: object) -> None:
        recorded.set()
        raise OSError("database is locked")

    monkeypatch.setattr(bot.ledger, "finish_job", broken_finish_job)
    with caplog.at_level(logging.ERROR, logger="bot.jobs.runner"):
        interaction = await running.slash("imagine", prompt="a lighthouse", rendering_speed="TURBO")
        result = await running.result(interaction)
        await recorded.wait()
        await bot.jobs.shutdown(10)  # waits for the job to end: whatever it would tell, it has told by now

    assert not result.deleted
    assert len(result.attachments) == 1
    assert interaction.followups == []  # no failure message after the result
    assert running.discord.messages_in(running.channel) == [result]
    [job] = await jobs(running)
    assert any(f"job {job['id']}:" in r.getMessage() and r.exc_info for r in caplog.records)
    assert (await balance(running)).spent == 30_000  # the member paid for what they have
    # Not left running until the next start: failed at once, saying why and what it cost.
    assert (job["status"], job["cost"], job["error"]) == ("failed", 30_000, RECORD_FAILED)
