"""Limits and lifecycle: jobs per member, the queue for the API's in-flight limit, and shutting down mid-job.

The fake API's `pause_replies()` keeps a job in flight for as long as a test needs, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import World
from tests.e2e.support import ALLOWANCE, NOTHING_CHARGED, balance, failed_privately, history, jobs, refused_privately
from tests.fakes.ideogram import SafetyRejected


async def in_flight(world: World, images: int) -> None:
    async with asyncio.timeout(10):
        await world.ideogram.wait_for_in_flight(images)


async def test_a_member_over_the_job_limit_is_told_to_wait(world: World) -> None:
    await world.start_bot(budget={"max_jobs_per_member": 1})
    world.ideogram.pause_replies()
    first = await world.slash("imagine", prompt="first", rendering_speed="TURBO")
    await in_flight(world, 1)

    second = await world.slash("imagine", prompt="second", rendering_speed="TURBO")
    text = await refused_privately(world, second)
    assert "You already have 1 job running (the limit is 1)" in text
    assert NOTHING_CHARGED in text

    # The limit is per member: someone else still gets through.
    other = await world.slash("imagine", member=world.moderator, prompt="other", rendering_speed="TURBO")
    await in_flight(world, 2)

    world.ideogram.resume_replies()
    await world.result(first)
    await world.result(other)
    assert [r.value("prompt") for r in world.ideogram.api_requests] == ["first", "other"]
    money = await balance(world)
    assert (money.spent, money.held) == (30_000, 0)


async def test_a_job_waiting_for_the_api_shows_its_place_in_line(world: World) -> None:
    await world.start_bot(ideogram={"max_concurrency": 1})
    world.ideogram.pause_replies()
    first = await world.slash("imagine", prompt="first", rendering_speed="TURBO")
    await in_flight(world, 1)

    second = await world.slash("imagine", prompt="second", rendering_speed="TURBO")
    third = await world.slash("imagine", member=world.moderator, prompt="third", rendering_speed="TURBO")
    waiting = await second.wait_for_original(lambda m: "in line" in m.content)
    assert "#1 in line" in waiting.content
    assert "#2 in line" in (await third.wait_for_original(lambda m: "in line" in m.content)).content
    assert len(world.ideogram.api_requests) == 1  # the others wait on our side, not in the API's 429s
    assert (await balance(world)).held == 2 * 30_000  # both of the member's jobs hold their worst case

    world.ideogram.resume_replies()
    for interaction in (first, second, third):
        result = await world.result(interaction)  # posted, and its charge recorded
        assert result.content == ""  # the queue notice is gone from the result
        assert len(result.attachments) == 1
    assert world.ideogram.peak_in_flight_images == 1
    money = await balance(world)
    assert (money.spent, money.held) == (2 * 30_000, 0)
    # The waiting job's reply went from its place in line to "working" when its turn came, then to the result.
    shown = [r.body.get("content") for r in second.responses if r.kind == "edit" and r.ok and r.body]
    assert [text for text in shown if text][-2:] == [
        "⏳ Waiting for the image service: you're #1 in line (up to $0.03).",
        "🎨 Working on it (up to $0.03)…",
    ]


async def test_shutdown_lets_a_job_in_flight_finish_and_refuses_new_ones(running: World) -> None:
    bot = running.bot
    assert bot is not None
    running.ideogram.pause_replies()
    interaction = await running.slash("imagine", prompt="last one", rendering_speed="TURBO")
    await in_flight(running, 1)

    closing = asyncio.create_task(bot.close())
    late = await running.slash("imagine", member=running.moderator, prompt="too late")
    assert "restarting" in await refused_privately(running, late)

    running.ideogram.resume_replies()
    async with asyncio.timeout(10):
        await closing
    result = await running.result(interaction)
    assert len(result.attachments) == 1
    money = await balance(running)
    assert (money.spent, money.held) == (30_000, 0)
    assert [job["status"] for job in await jobs(running)] == ["succeeded"]


async def test_shutdown_after_the_grace_period_leaves_the_member_uncharged(
    running: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.SHUTDOWN_GRACE_S", 0.0)
    bot = running.bot
    assert bot is not None
    running.ideogram.pause_replies()
    interaction = await running.slash("imagine", prompt="cut off", rendering_speed="TURBO")
    await in_flight(running, 1)

    async with asyncio.timeout(10):
        await bot.close()
    running.ideogram.resume_replies()

    text = await failed_privately(running, interaction)
    assert "restarted before your job finished" in text
    assert NOTHING_CHARGED in text
    money = await balance(running)
    assert (money.spent, money.held, money.remaining) == (0, 0, ALLOWANCE)
    # The request was at the API: its outcome is unknown, so the operator's side records it as uncertain.
    assert [entry.kind for entry in await history(running)] == ["hold", "uncertain"]
    [job] = await jobs(running)
    assert job["status"] == "failed"


async def test_a_result_that_outlives_its_interaction_is_posted_in_the_channel(running: World) -> None:
    running.ideogram.pause_replies()
    interaction = await running.slash("imagine", prompt="slow queue", rendering_speed="TURBO")
    await in_flight(running, 1)
    interaction.age(16 * 60)  # Discord now refuses the interaction's token (401, 50027)

    running.ideogram.resume_replies()
    posted = await running.discord.wait_for_message(lambda m: bool(m.attachments), channel=running.channel)
    assert posted.interaction is None  # a plain channel message, not the expired reply
    assert f"<@{running.member.id}>" in posted.content
    assert len(posted.attachments) == 1
    assert running.bot is not None
    async with asyncio.timeout(10):
        await running.bot.jobs.recorded(posted.id)  # the member saw it a moment before it was charged
    money = await balance(running)
    assert (money.spent, money.held) == (30_000, 0)  # paid for, and delivered
    assert running.bot is not None
    job = await running.bot.ledger.find_result(posted.id)
    assert job is not None
    assert [image.attachment_id for image in job.images] == [a.id for a in posted.attachments]
    expect_expired_token_refusals(running, 1)


async def test_a_failure_that_outlives_its_interaction_is_told_in_the_channel(running: World) -> None:
    running.ideogram.pause_replies()
    running.ideogram.inject(SafetyRejected())
    interaction = await running.slash("imagine", prompt="slow and refused", rendering_speed="TURBO")
    await in_flight(running, 1)
    interaction.age(16 * 60)

    running.ideogram.resume_replies()
    told = await running.discord.wait_for_message(lambda m: "safety" in m.content, channel=running.channel)
    assert f"<@{running.member.id}>" in told.content
    assert NOTHING_CHARGED in told.content
    money = await balance(running)
    assert (money.spent, money.held) == (0, 0)
    expect_expired_token_refusals(running, 1)


def expect_expired_token_refusals(world: World, at_least: int) -> None:
    """The bot tried the expired token first (it can't know Discord's clock); Discord refused; nothing else."""
    expired = [v for v in world.discord.violations if v.kind == "token_expired"]
    assert len(expired) >= at_least
    for violation in expired:
        world.discord.violations.remove(violation)
