"""A result is posted a moment before the job behind it is charged and recorded. A click (or a remix reaction) in
that moment waits for the record and then does what it says, instead of being refused as "no longer known"
(or ignored as "not a result")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cogs.clicked import RECORDING_WAIT_S, STILL_SAVING
from tests.e2e.conftest import World
from tests.e2e.results_support import UPSCALE_ROUTE, reply_result
from tests.e2e.test_reactions import REMIX_ROUTE, react, replies_to
from tests.fakes.discord import FakeMessage


class Recording:
    """Holds the bot's recording of finished jobs until `release()`, and tells when a click waits for one."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        assert world.bot is not None
        self.released = asyncio.Event()
        self.awaited = asyncio.Event()
        ledger, jobs = world.bot.ledger, world.bot.jobs
        finish_job, recorded = ledger.finish_job, jobs.recorded

        async def held_finish_job(*args: Any, **kwargs: Any) -> None:
            await self.released.wait()
            await finish_job(*args, **kwargs)

        async def watched_recorded(message_id: int) -> None:
            self.awaited.set()
            await recorded(message_id)

        monkeypatch.setattr(ledger, "finish_job", held_finish_job)
        monkeypatch.setattr(jobs, "recorded", watched_recorded)

    def release(self) -> None:
        self.released.set()


async def posted_not_recorded(world: World) -> tuple[FakeMessage, str]:
    """An /imagine result as it appears, before its job is recorded, and its job id."""
    interaction = await world.slash("imagine", prompt="a lighthouse", rendering_speed="TURBO")
    result: FakeMessage = await interaction.wait_for(
        lambda i: i.original is not None and bool(i.original.embeds) and i.original
    )
    [job_id] = {custom_id.split(":")[1] for custom_id in result.custom_ids}
    return result, job_id


async def test_a_click_before_the_job_is_recorded_waits_for_it(running: World, monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording(running, monkeypatch)
    result, job_id = await posted_not_recorded(running)
    click = await running.discord.click(result, running.member, f"upscale:{job_id}:1")
    refusal = asyncio.create_task(running.private_reply(click))
    waiting = asyncio.create_task(recording.awaited.wait())
    done, _ = await asyncio.wait({refusal, waiting}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert waiting in done, refusal.result() if refusal in done else "the click neither waited nor answered"
    refusal.cancel()

    recording.release()
    upscaled = await reply_result(running, result)
    assert upscaled.embeds
    assert [r.path for r in running.ideogram.api_requests].count(UPSCALE_ROUTE) == 1
    assert click.followups == []


async def test_a_record_that_takes_too_long_gets_try_again(running: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cogs.clicked.RECORDING_WAIT_S", 0.01)
    recording = Recording(running, monkeypatch)
    result, job_id = await posted_not_recorded(running)
    click = await running.discord.click(result, running.member, f"upscale:{job_id}:1")
    assert await running.private_reply(click) == str(STILL_SAVING) + " Nothing was charged."
    assert RECORDING_WAIT_S < 3  # a click that opens a form must answer within Discord's 3 s
    recording.release()


async def test_a_reaction_before_the_job_is_recorded_waits_for_it(
    running: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = Recording(running, monkeypatch)
    result, _job_id = await posted_not_recorded(running)
    reaction = asyncio.create_task(react(running, result, running.moderator, "🔁"))
    waiting = asyncio.create_task(recording.awaited.wait())
    done, _ = await asyncio.wait({reaction, waiting}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert waiting in done, reaction.result() if reaction in done else "the reaction neither waited nor answered"

    recording.release()
    assert await reaction == "remixed"
    assert [r.path for r in running.ideogram.api_requests].count(REMIX_ROUTE) == 1
    [remix] = replies_to(running, result)
    assert remix.attachments


async def test_a_reaction_whose_record_takes_too_long_gets_try_again(
    running: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cogs.clicked.RECORDING_WAIT_S", 0.01)
    recording = Recording(running, monkeypatch)
    result, _job_id = await posted_not_recorded(running)
    assert await react(running, result, running.moderator, "🔁") == "refused"
    [refusal] = replies_to(running, result)
    assert refusal.content == f"{running.moderator.mention} {STILL_SAVING} Nothing was charged."
    assert REMIX_ROUTE not in [r.path for r in running.ideogram.api_requests]
    recording.release()
