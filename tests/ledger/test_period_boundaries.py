"""Periods roll over at UTC calendar boundaries; money counts in the period of its hold or grant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ledger import Ledger, Period

from .conftest import ALICE, DOLLAR, GUILD, MOD, Clock

JUST_BEFORE = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("period", "boundary"),
    [
        ("day", datetime(2025, 3, 13, tzinfo=UTC)),
        ("week", datetime(2025, 3, 17, tzinfo=UTC)),  # Sunday night -> Monday
        ("month", datetime(2025, 4, 1, tzinfo=UTC)),
        ("month", datetime(2026, 1, 1, tzinfo=UTC)),  # and the year
    ],
)
async def test_spending_resets_at_the_boundary(
    ledger: Ledger, clock: Clock, period: Period, boundary: datetime
) -> None:
    await ledger.set_default(guild_id=GUILD, amount=DOLLAR, period=period, actor_id=MOD)
    clock.now = boundary - JUST_BEFORE
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, job_id=None)
    await ledger.capture(hold, DOLLAR)
    before = await ledger.balance(GUILD, ALICE)
    assert (before.remaining, before.spent, before.next_reset) == (0, DOLLAR, boundary)

    clock.now = boundary
    after = await ledger.balance(GUILD, ALICE)
    assert (after.remaining, after.spent, after.period_start) == (DOLLAR, 0, boundary)
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, job_id=None)


async def test_a_hold_before_the_boundary_captured_after_it_is_charged_to_the_old_period(
    ledger: Ledger, clock: Clock
) -> None:
    await ledger.set_default(guild_id=GUILD, amount=DOLLAR, period="day", actor_id=MOD)
    clock.now = datetime(2025, 3, 12, 23, 59, 58, tzinfo=UTC)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=600_000, job_id=None)

    clock.now = datetime(2025, 3, 13, 0, 0, 5, tzinfo=UTC)
    during = await ledger.balance(GUILD, ALICE)
    assert (during.remaining, during.held) == (DOLLAR, 0)  # the new day owes nothing to yesterday's hold
    await ledger.capture(hold, 450_000)

    today = await ledger.balance(GUILD, ALICE)
    assert (today.remaining, today.spent) == (DOLLAR, 0)
    capture = (await ledger.history(GUILD, ALICE, limit=1))[0]
    assert capture.kind == "capture"
    assert capture.period_start == datetime(2025, 3, 12, tzinfo=UTC)
    assert capture.created_at == clock.now

    clock.now = datetime(2025, 3, 12, 23, 59, 59, tzinfo=UTC)  # looking back at yesterday
    yesterday = await ledger.balance(GUILD, ALICE)
    assert (yesterday.spent, yesterday.held, yesterday.remaining) == (450_000, 0, 550_000)
    assert (await ledger.report(GUILD, "day")).spent == 450_000


async def test_a_release_after_the_boundary_gives_back_to_the_old_period(ledger: Ledger, clock: Clock) -> None:
    await ledger.set_default(guild_id=GUILD, amount=DOLLAR, period="week", actor_id=MOD)
    clock.now = datetime(2025, 3, 16, 23, 59, tzinfo=UTC)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, job_id=None)
    clock.now = datetime(2025, 3, 17, 0, 1, tzinfo=UTC)
    await ledger.release(hold, "timed out")
    clock.now = datetime(2025, 3, 16, 23, 59, 30, tzinfo=UTC)
    assert (await ledger.balance(GUILD, ALICE)).remaining == DOLLAR


async def test_grants_count_in_the_period_they_were_made(ledger: Ledger, clock: Clock) -> None:
    clock.now = datetime(2025, 3, 31, 12, tzinfo=UTC)
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, actor_id=MOD, reason="march bonus")
    assert (await ledger.balance(GUILD, ALICE)).remaining == 2 * DOLLAR
    clock.now = datetime(2025, 4, 1, tzinfo=UTC)
    april = await ledger.balance(GUILD, ALICE)
    assert (april.remaining, april.granted) == (DOLLAR, 0)
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=-300_000, actor_id=MOD, reason="april fine")
    assert (await ledger.balance(GUILD, ALICE)).remaining == 700_000


async def test_the_cap_has_its_own_period(ledger: Ledger, clock: Clock) -> None:
    await ledger.set_default(guild_id=GUILD, amount=10 * DOLLAR, period="month", actor_id=MOD)
    await ledger.set_cap(guild_id=GUILD, amount=DOLLAR, period="day", actor_id=MOD)
    clock.now = datetime(2025, 3, 12, 20, tzinfo=UTC)
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, job_id=None)
    clock.now = datetime(2025, 3, 13, 1, tzinfo=UTC)
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, job_id=None)  # a new day for the cap
    assert (await ledger.balance(GUILD, ALICE)).held == 2 * DOLLAR  # the same month for the member


async def test_changing_the_period_counts_what_falls_inside_the_new_one(ledger: Ledger, clock: Clock) -> None:
    clock.now = datetime(2025, 3, 3, 10, tzinfo=UTC)  # a Monday
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=400_000, job_id=None)
    await ledger.capture(hold, 400_000)
    clock.now = datetime(2025, 3, 12, 10, tzinfo=UTC)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=None)
    await ledger.capture(hold, 100_000)
    assert (await ledger.balance(GUILD, ALICE)).spent == 500_000  # March so far
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, period="week", actor_id=MOD)
    assert (await ledger.balance(GUILD, ALICE)).spent == 100_000  # this week only
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, period="total", actor_id=MOD)
    assert (await ledger.balance(GUILD, ALICE)).spent == 500_000
