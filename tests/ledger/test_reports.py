"""Reports, exports and history: what moderators see."""

from __future__ import annotations

from datetime import timedelta

from bot.ledger import Ledger, Spender

from .conftest import ALICE, BOB, DOLLAR, GUILD, MOD, Clock

CAROL = 103


async def spend(ledger: Ledger, user_id: int, amount: int, *, guild_id: int = GUILD) -> None:
    hold = await ledger.hold(guild_id=guild_id, user_id=user_id, amount=amount, job_id=None)
    await ledger.capture(hold, amount)


async def test_report_totals_and_top_spenders(ledger: Ledger) -> None:
    await spend(ledger, ALICE, 100_000)
    await spend(ledger, ALICE, 50_000)
    await spend(ledger, BOB, 400_000)
    await spend(ledger, CAROL, 150_000)
    await spend(ledger, BOB, 1, guild_id=GUILD + 1)  # another server
    await ledger.hold(guild_id=GUILD, user_id=CAROL, amount=70_000, job_id=None)
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=250_000, actor_id=MOD)

    report = await ledger.report(GUILD)
    assert (report.period, report.spent, report.held, report.granted, report.jobs) == (
        "month",
        700_000,
        70_000,
        250_000,
        4,
    )
    assert report.top_spenders == (Spender(BOB, 400_000, 1), Spender(ALICE, 150_000, 2), Spender(CAROL, 150_000, 1))
    assert (await ledger.report(GUILD, top=1)).top_spenders == (Spender(BOB, 400_000, 1),)


async def test_report_for_a_period_uses_that_periods_window(ledger: Ledger, clock: Clock) -> None:
    await ledger.set_default(guild_id=GUILD, amount=DOLLAR, period="day", actor_id=MOD)
    await spend(ledger, ALICE, 100_000)
    clock.advance(days=1)
    await spend(ledger, BOB, 200_000)
    assert (await ledger.report(GUILD)).spent == 200_000  # the server's period: today
    assert (await ledger.report(GUILD, "month")).spent == 300_000
    assert (await ledger.report(GUILD, "total")).next_reset is None
    empty = await ledger.report(GUILD + 5)
    assert (empty.spent, empty.jobs, empty.top_spenders) == (0, 0, ())


async def test_entries_export_a_time_range_oldest_first(ledger: Ledger, clock: Clock) -> None:
    start = clock.now
    await spend(ledger, ALICE, 10_000)
    clock.advance(hours=1)
    middle = clock.now
    await ledger.grant(guild_id=GUILD, user_id=BOB, amount=5, actor_id=MOD, reason="thanks")
    clock.advance(hours=1)
    await spend(ledger, BOB, 20_000)

    everything = await ledger.entries(GUILD)
    assert [e.kind for e in everything] == ["hold", "capture", "grant", "hold", "capture"]
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    assert [e.kind for e in await ledger.entries(GUILD, since=middle)] == ["grant", "hold", "capture"]
    assert [e.kind for e in await ledger.entries(GUILD, start, middle)] == ["hold", "capture"]
    assert await ledger.entries(GUILD, since=clock.now + timedelta(seconds=1)) == []
    grant = everything[2]
    assert (grant.guild_id, grant.user_id, grant.actor_id, grant.reason, grant.created_at) == (
        GUILD,
        BOB,
        MOD,
        "thanks",
        middle,
    )
    assert grant.period_start.isoformat() == "2025-03-01T00:00:00+00:00"


async def test_history_is_the_members_latest_entries_newest_first(ledger: Ledger) -> None:
    for amount in range(1, 8):
        await spend(ledger, ALICE, amount)
    await spend(ledger, BOB, 99)
    history = await ledger.history(GUILD, ALICE, limit=3)
    assert [(e.kind, e.amount) for e in history] == [("capture", 7), ("hold", 7), ("capture", 6)]
    assert len(await ledger.history(GUILD, ALICE)) == 10
