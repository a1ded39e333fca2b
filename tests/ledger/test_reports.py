"""Reports, exports and history: what moderators see."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ledger import PERIODS, Hold, Ledger, Period, Spender

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


async def test_period_entries_put_a_late_settlement_in_its_holds_period(ledger: Ledger, clock: Clock) -> None:
    march, april, may = (datetime(2025, month, 1, tzinfo=UTC) for month in (3, 4, 5))
    clock.set(2025, 3, 31, 23, 59)
    captured = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=300_000, job_id=None)
    released = await ledger.hold(guild_id=GUILD, user_id=BOB, amount=200_000, job_id=None)
    clock.set(2025, 4, 1, 0, 1)
    await ledger.capture(captured, 250_000)
    await ledger.release(released, "failed")
    await ledger.grant(guild_id=GUILD, user_id=BOB, amount=5, actor_id=MOD)

    in_april = await ledger.period_entries(GUILD, april, may)
    assert [e.kind for e in in_april] == ["grant"]
    assert (await ledger.report(GUILD, "month")).spent == 0
    # Made in April, so selecting by the time a line was made puts the settlements there: not what April owes.
    assert [e.kind for e in await ledger.entries(GUILD, april, may)] == ["capture", "release", "grant"]

    in_march = await ledger.period_entries(GUILD, march, april)
    assert [(e.kind, e.amount, e.hold_id) for e in in_march] == [
        ("hold", 300_000, None),
        ("hold", 200_000, None),
        ("capture", 250_000, captured.id),
        ("release", 200_000, released.id),
    ]
    assert in_march[2].created_at == datetime(2025, 4, 1, 0, 1, tzinfo=UTC)
    assert await ledger.period_entries(GUILD) == await ledger.entries(GUILD)  # unbounded: every line

    clock.set(2025, 3, 31, 23, 59, 30)  # looking back at March
    report = await ledger.report(GUILD, "month")
    assert report.spent == sum(e.amount for e in in_march if e.kind == "capture") == 250_000
    assert report.jobs == sum(1 for e in in_march if e.kind == "capture")
    assert (report.held, report.granted) == (0, 0)


# (what, a number: the member, which open hold or how many minutes, an amount, a share of a hold to capture)
Step = tuple[str, int, int, Fraction]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(("hold", "hold", "capture", "release", "grant", "wait")),
        st.integers(0, 36 * 60),
        st.integers(-300_000, 300_000),
        st.fractions(0, 1),
    ),
    max_size=40,
)


def test_period_entries_add_up_to_the_report_in_every_period(db_path: Path | str) -> None:
    """Random holds, settlements, grants and time passing (minutes to a day and a half, across day, week and
    month ends): after every step, each period's `period_entries` add up to that period's `report`.

    One database for all examples (a new PostgreSQL database per example would be too slow), each example in a
    server of its own."""
    guilds = itertools.count(1)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=STEPS)
    def check(steps: list[Step]) -> None:
        asyncio.run(_check_sequence(db_path, next(guilds), steps))

    check()


async def _check_sequence(location: Path | str, guild: int, steps: list[Step]) -> None:
    clock = Clock(datetime(2025, 1, 31, 22, tzinfo=UTC))  # a Friday, two hours before a new month
    ledger = await Ledger.open(location, default_allowance=100 * DOLLAR, default_period="month", clock=clock)
    open_holds: list[Hold] = []
    try:
        for what, number, amount, share in steps:
            member = (ALICE, BOB)[number % 2]
            if what == "hold":
                open_holds.append(await ledger.hold(guild_id=guild, user_id=member, amount=abs(amount), job_id=None))
            elif what == "capture" and open_holds:
                hold = open_holds.pop(number % len(open_holds))
                await ledger.capture(hold, int(hold.amount * share))
            elif what == "release" and open_holds:
                await ledger.release(open_holds.pop(number % len(open_holds)))
            elif what == "grant":
                await ledger.grant(guild_id=guild, user_id=member, amount=amount, actor_id=MOD)
            elif what == "wait":
                clock.advance(minutes=number + 1)
            for period in PERIODS:
                await _assert_period_entries_match_the_report(ledger, guild, period)
    finally:
        await ledger.close()


async def _assert_period_entries_match_the_report(ledger: Ledger, guild: int, period: Period) -> None:
    report = await ledger.report(guild, period)
    lines = await ledger.period_entries(guild, report.period_start, report.next_reset)
    settled = {e.hold_id for e in lines if e.kind in ("capture", "release")}
    assert settled <= {e.id for e in lines if e.kind == "hold"}  # a settlement is listed with its hold
    assert sum(e.amount for e in lines if e.kind == "capture") == report.spent
    assert sum(1 for e in lines if e.kind == "capture") == report.jobs
    assert sum(e.amount for e in lines if e.kind == "hold" and e.id not in settled) == report.held
    assert sum(e.amount for e in lines if e.kind == "grant") == report.granted


async def test_history_is_the_members_latest_entries_newest_first(ledger: Ledger) -> None:
    for amount in range(1, 8):
        await spend(ledger, ALICE, amount)
    await spend(ledger, BOB, 99)
    history = await ledger.history(GUILD, ALICE, limit=3)
    assert [(e.kind, e.amount) for e in history] == [("capture", 7), ("hold", 7), ("capture", 6)]
    assert len(await ledger.history(GUILD, ALICE)) == 10
