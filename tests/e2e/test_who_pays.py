"""Who pays for what (DESIGN "Budgets"): the member pays for the images they received plus those withheld as
unsafe. What the provider billed that the member never saw is a write-off; a request whose outcome is unknown is
uncertain at the hold's amount. Neither is the member's spend, and the member is told they were not charged."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from tests.e2e.conftest import World
from tests.e2e.support import ALLOWANCE, NOTHING_CHARGED, balance, failed_privately, jobs
from tests.e2e.test_process import start, write_config
from tests.fakes.ideogram import Latency, ServerError, UnsafeImages

TURBO = 30_000


async def job_entries(world: World) -> list[tuple[str, int]]:
    """The ledger lines of the world's only job, oldest first, as (kind, amount)."""
    assert world.bot is not None
    [job] = await jobs(world)
    entries = [e for e in await world.bot.ledger.entries(world.guild.id) if e.job_id == job["id"]]
    return [(e.kind, e.amount) for e in sorted(entries, key=lambda e: e.id)]


async def assert_not_charged(world: World) -> None:
    money = await balance(world)
    assert (money.spent, money.held, money.remaining) == (0, 0, ALLOWANCE)
    [job] = await jobs(world)
    assert job["status"] == "failed"


async def test_images_made_but_not_downloaded_are_written_off(running: World) -> None:
    running.ideogram.inject(ServerError(500), route="/images")
    interaction = await running.slash("imagine", prompt="a cat", num_images=2, rendering_speed="TURBO")
    text = await failed_privately(running, interaction)
    assert "couldn't download them" in text
    assert NOTHING_CHARGED in text
    await assert_not_charged(running)
    assert ("write-off", 2 * TURBO) in await job_entries(running)


async def test_images_from_a_host_the_bot_does_not_trust_are_written_off(running: World) -> None:
    running.ideogram.image_base_url = running.ideogram.base_url.replace("127.0.0.1", "localhost")
    interaction = await running.slash("imagine", prompt="a cat", rendering_speed="TURBO")
    text = await failed_privately(running, interaction)
    assert "doesn't trust" in text
    assert NOTHING_CHARGED in text
    await assert_not_charged(running)
    assert ("write-off", TURBO) in await job_entries(running)
    assert not [r for r in running.ideogram.requests if r.path.startswith("/images/")]  # never fetched


async def test_a_result_discord_refuses_is_written_off(running: World) -> None:
    # Both edits of the reply fail: the "working on it" notice (which the job shrugs off) and the result.
    running.discord.inject_error("PATCH", "/webhooks/*/messages/@original", status=413, code=40005, times=2)
    interaction = await running.slash("imagine", prompt="a cat", rendering_speed="TURBO")
    text = await failed_privately(running, interaction)
    assert "incident" in text  # not the member's doing: an incident id for the log
    assert NOTHING_CHARGED in text
    await assert_not_charged(running)
    assert ("write-off", TURBO) in await job_entries(running)


async def test_a_timeout_at_the_api_is_uncertain_at_the_holds_amount(world: World) -> None:
    await world.start_bot(ideogram={"timeout_s": 0.3})
    world.ideogram.inject(Latency(5))
    interaction = await world.slash("imagine", prompt="slow", num_images=2, rendering_speed="TURBO")
    text = await failed_privately(world, interaction)
    assert "took too long" in text
    assert NOTHING_CHARGED in text
    await assert_not_charged(world)
    assert await job_entries(world) == [("hold", 2 * TURBO), ("uncertain", 2 * TURBO)]


async def test_a_shutdown_after_the_api_answered_is_written_off(
    running: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.SHUTDOWN_GRACE_S", 0.0)
    assert running.bot is not None
    running.ideogram.inject(Latency(30), route="/images")
    interaction = await running.slash("imagine", prompt="cut off later", rendering_speed="TURBO")
    async with asyncio.timeout(10):
        await running.ideogram.wait_for_request(lambda r: r.path.startswith("/images/"))
        await running.bot.close()
    assert NOTHING_CHARGED in await failed_privately(running, interaction)
    await assert_not_charged(running)
    assert ("write-off", TURBO) in await job_entries(running)


async def test_withheld_images_are_the_members_and_the_rest_is_charged_as_received(running: World) -> None:
    running.ideogram.inject(UnsafeImages(indices=(1,)))
    result = await running.result(await running.slash("imagine", prompt="cats", num_images=3, rendering_speed="TURBO"))
    assert len(result.attachments) == 2
    money = await balance(running)
    assert (money.spent, money.held) == (3 * TURBO, 0)  # two received plus one withheld as unsafe
    kinds = [kind for kind, _ in await job_entries(running)]
    assert "write-off" not in kinds
    assert "uncertain" not in kinds


async def test_a_process_killed_while_the_request_is_at_the_api_leaves_an_uncertain_entry(
    world: World, tmp_path: Path
) -> None:
    database = world.settings.database.path
    process = await start(write_config(world, tmp_path, database), tmp_path)
    try:
        await world.discord.wait_for(lambda: world.discord.sync_count > 0, timeout=30, what="the command sync")
        await world.discord.wait_until_connected(timeout=30)
        world.ideogram.pause_replies()
        await world.slash("imagine", prompt="killed at the API", rendering_speed="TURBO")
        async with asyncio.timeout(30):
            await world.ideogram.wait_for_in_flight(1)
    finally:
        process.kill()
        await asyncio.wait_for(process.communicate(), timeout=30)

    await world.start_bot()  # the next start settles what the killed process left behind
    await assert_not_charged(world)
    assert await job_entries(world) == [("hold", TURBO), ("uncertain", TURBO)]


async def test_the_report_csv_shows_write_offs_and_uncertain_entries_apart_from_the_members_spend(
    world: World,
) -> None:
    await world.start_bot(ideogram={"timeout_s": 0.3})
    world.ideogram.inject(ServerError(500), route="/images")
    await failed_privately(world, await world.slash("imagine", prompt="lost", num_images=2, rendering_speed="TURBO"))
    world.ideogram.inject(Latency(5))
    await failed_privately(world, await world.slash("imagine", prompt="slow", rendering_speed="TURBO"))

    report = await world.discord.slash(world.guild, world.channel, world.moderator, "budget report")
    message = await report.wait_for(lambda i: i.original is not None and not i.original.loading and i.original)
    ((_, data),) = message.files
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    first, second = (job["id"] for job in await jobs(world))
    member = str(world.member.id)
    assert {"kind": "write-off", "amount_usd": "0.06", "member_id": member, "job_id": str(first)}.items() <= next(
        row for row in rows if row["kind"] == "write-off"
    ).items()
    assert {"kind": "uncertain", "amount_usd": "0.03", "member_id": member, "job_id": str(second)}.items() <= next(
        row for row in rows if row["kind"] == "uncertain"
    ).items()
    assert not [row for row in rows if row["kind"] == "capture"]
    assert (await balance(world)).spent == 0
