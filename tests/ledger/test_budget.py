"""Holds, captures, releases, grants and settings, one behaviour at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.ledger import BudgetExceeded, HoldSettled, Ledger
from bot.money import parse_amount

from .conftest import ALICE, BOB, DOLLAR, GUILD, MOD, Clock, new_job


async def test_a_new_member_has_the_config_allowance(ledger: Ledger) -> None:
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.remaining, balance.spent, balance.held, balance.granted) == (DOLLAR, 0, 0, 0)
    assert (balance.allowance, balance.allowance_source, balance.period) == (DOLLAR, "config", "month")
    assert balance.period_start.isoformat() == "2025-03-01T00:00:00+00:00"
    assert balance.next_reset is not None
    assert balance.next_reset.isoformat() == "2025-04-01T00:00:00+00:00"


async def test_hold_then_capture_charges_the_cost_and_returns_the_rest(ledger: Ledger) -> None:
    job = await new_job(ledger)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=180_000, job_id=job, reason="3 images")
    assert (hold.amount, hold.job_id, hold.period) == (180_000, job, "month")

    held = await ledger.balance(GUILD, ALICE)
    assert (held.remaining, held.spent, held.held) == (820_000, 0, 180_000)  # spent never includes holds

    await ledger.capture(hold, 120_000)
    after = await ledger.balance(GUILD, ALICE)
    assert (after.remaining, after.spent, after.held) == (880_000, 120_000, 0)

    kinds = [(e.kind, e.amount, e.job_id, e.hold_id) for e in await ledger.history(GUILD, ALICE)]
    assert kinds == [("capture", 120_000, job, hold.id), ("hold", 180_000, job, None)]


async def test_release_returns_everything_and_is_idempotent(ledger: Ledger) -> None:
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=300_000, job_id=None)
    assert await ledger.release(hold, "the API failed") is True
    assert await ledger.release(hold, "again") is False
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.remaining, balance.held, balance.spent) == (DOLLAR, 0, 0)
    latest = (await ledger.history(GUILD, ALICE, limit=1))[0]
    assert (latest.kind, latest.amount, latest.reason, latest.actor_id) == ("release", 300_000, "the API failed", ALICE)


async def test_a_hold_is_settled_exactly_once(ledger: Ledger) -> None:
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=None)
    await ledger.capture(hold, 100_000)
    with pytest.raises(HoldSettled):
        await ledger.capture(hold, 1)
    assert await ledger.release(hold) is False
    assert (await ledger.balance(GUILD, ALICE)).spent == 100_000


async def test_capture_more_than_held_or_negative_is_a_programming_error(ledger: Ledger) -> None:
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=None)
    with pytest.raises(ValueError, match="cannot capture"):
        await ledger.capture(hold, 100_001)
    with pytest.raises(ValueError, match="negative"):
        await ledger.capture(hold, -1)
    with pytest.raises(ValueError, match="negative"):
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=-5, job_id=None)


async def test_refusal_says_what_is_needed_what_is_left_and_when_it_resets(ledger: Ledger) -> None:
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=940_000, job_id=None)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=180_000, job_id=None)
    error = refused.value
    assert (error.scope, error.amount, error.remaining, error.allowance, error.period) == (
        "member",
        180_000,
        60_000,
        DOLLAR,
        "month",
    )
    assert str(error) == (
        "That needs $0.18 but you have $0.06 left this month (resets 2025-04-01 00:00 UTC). Nothing was charged."
    )
    assert (await ledger.balance(GUILD, ALICE)).held == 940_000  # nothing was reserved by the refusal


async def test_an_exact_fit_is_allowed(ledger: Ledger) -> None:
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, job_id=None)
    assert (await ledger.balance(GUILD, ALICE)).remaining == 0
    with pytest.raises(BudgetExceeded):
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=1, job_id=None)
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=0, job_id=None)


async def test_grants_add_and_negative_grants_deduct_but_remaining_never_shows_below_zero(ledger: Ledger) -> None:
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=500_000, actor_id=MOD, reason="contest prize")
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.remaining, balance.granted) == (1_500_000, 500_000)

    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=-2 * DOLLAR, actor_id=MOD, reason="abuse")
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.remaining, balance.granted) == (0, -1_500_000)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=10_000, job_id=None)
    assert refused.value.remaining == 0

    entry = (await ledger.history(GUILD, ALICE, limit=1))[0]
    assert (entry.kind, entry.amount, entry.actor_id, entry.reason) == ("grant", -2 * DOLLAR, MOD, "abuse")


async def test_allowance_comes_from_the_member_then_the_server_then_the_config(ledger: Ledger) -> None:
    await ledger.set_default(guild_id=GUILD, amount=parse_amount("3"), period="week", actor_id=MOD)
    server = await ledger.balance(GUILD, ALICE)
    assert (server.allowance, server.allowance_source, server.period) == (3 * DOLLAR, "server", "week")

    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=parse_amount("0.50"), actor_id=MOD)
    own = await ledger.balance(GUILD, ALICE)
    assert (own.allowance, own.allowance_source, own.period) == (500_000, "own", "week")  # the server's period
    assert (await ledger.balance(GUILD, BOB)).allowance_source == "server"

    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=2 * DOLLAR, period="day", actor_id=MOD)
    daily = await ledger.balance(GUILD, ALICE)
    assert (daily.allowance, daily.period) == (2 * DOLLAR, "day")

    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=None, actor_id=MOD)
    await ledger.set_default(guild_id=GUILD, amount=None, actor_id=MOD)
    back = await ledger.balance(GUILD, ALICE)
    assert (back.allowance, back.allowance_source, back.period) == (DOLLAR, "config", "month")


async def test_set_default_without_a_period_keeps_the_current_one(ledger: Ledger) -> None:
    await ledger.set_default(guild_id=GUILD, amount=DOLLAR, period="day", actor_id=MOD)
    await ledger.set_default(guild_id=GUILD, amount=2 * DOLLAR, actor_id=MOD)
    settings = await ledger.server_settings(GUILD)
    assert (settings.default_allowance, settings.default_period, settings.default_source) == (
        2 * DOLLAR,
        "day",
        "server",
    )


async def test_lowering_an_allowance_below_spending_leaves_nothing_but_not_negative(ledger: Ledger) -> None:
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=600_000, job_id=None)
    await ledger.capture(hold, 600_000)
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=200_000, actor_id=MOD)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.remaining, balance.spent, balance.allowance) == (0, 600_000, 200_000)


async def test_settings_refuse_negative_amounts_and_unknown_periods(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="negative"):
        await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=-1, actor_id=MOD)
    with pytest.raises(ValueError, match="negative"):
        await ledger.set_default(guild_id=GUILD, amount=-1, actor_id=MOD)
    with pytest.raises(ValueError, match="negative"):
        await ledger.set_cap(guild_id=GUILD, amount=-1, actor_id=MOD)
    with pytest.raises(ValueError, match="unknown period"):
        await ledger.set_cap(guild_id=GUILD, amount=1, period="year", actor_id=MOD)  # type: ignore[arg-type]
    assert await ledger.entries(GUILD) == []


async def test_every_settings_change_is_a_ledger_entry_with_actor_and_reason(ledger: Ledger) -> None:
    await ledger.set_allowance(
        guild_id=GUILD, user_id=ALICE, amount=2 * DOLLAR, period="week", actor_id=MOD, reason="artist"
    )
    await ledger.set_default(guild_id=GUILD, amount=500_000, period="day", actor_id=MOD)
    await ledger.set_cap(guild_id=GUILD, amount=20 * DOLLAR, actor_id=MOD, reason="budget meeting")
    await ledger.set_cap(guild_id=GUILD, amount=None, actor_id=MOD)
    await ledger.set_moderator_roles(guild_id=GUILD, role_ids=[7, 5, 7], actor_id=MOD)
    entries = await ledger.entries(GUILD)
    assert [(e.kind, e.amount, e.user_id, e.actor_id, e.reason) for e in entries] == [
        ("adjustment", 0, ALICE, MOD, "allowance set to $2.00 per week: artist"),
        ("adjustment", 0, None, MOD, "server default set to $0.50 per day"),
        ("adjustment", 0, None, MOD, "server cap set to $20.00 per day: budget meeting"),
        ("adjustment", 0, None, MOD, "server cap removed"),
        ("adjustment", 0, None, MOD, "moderator roles set to 5, 7"),
    ]
    assert entries[0].period == "week"
    assert await ledger.moderator_roles(GUILD) == frozenset({5, 7})
    assert await ledger.moderator_roles(GUILD + 1) == frozenset()


async def test_the_server_cap_refuses_across_members(ledger: Ledger) -> None:
    await ledger.set_cap(guild_id=GUILD, amount=500_000, period="day", actor_id=MOD)
    alice = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=300_000, job_id=None)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=BOB, amount=300_000, job_id=None)
    error = refused.value
    assert (error.scope, error.remaining, error.allowance, error.period) == ("server", 200_000, 500_000, "day")
    assert str(error).startswith("That needs $0.30 but the server has $0.20 left today (resets 2025-03-13 00:00 UTC)")
    await ledger.capture(alice, 100_000)  # the unused part of the hold returns to the cap too
    await ledger.hold(guild_id=GUILD, user_id=BOB, amount=400_000, job_id=None)
    assert (await ledger.balance(GUILD + 1, BOB)).remaining == DOLLAR  # other servers are untouched


async def test_when_both_refuse_the_member_budget_is_reported(ledger: Ledger) -> None:
    await ledger.set_cap(guild_id=GUILD, amount=100_000, actor_id=MOD)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=2 * DOLLAR, job_id=None)
    assert refused.value.scope == "member"


async def test_a_total_budget_never_resets(ledger: Ledger, clock: Clock) -> None:
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, period="total", actor_id=MOD)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=700_000, job_id=None)
    await ledger.capture(hold, 700_000)
    clock.advance(days=400)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.remaining, balance.next_reset, balance.period_start.year) == (300_000, None, 1970)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=400_000, job_id=None)
    assert str(refused.value) == "That needs $0.40 but you have $0.30 left. Nothing was charged."


async def test_holding_captured_keeps_the_charge(ledger: Ledger) -> None:
    async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=200_000, job_id=None) as hold:
        await ledger.capture(hold, 150_000)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.held) == (150_000, 0)
    assert [e.kind for e in await ledger.history(GUILD, ALICE)] == ["capture", "hold"]


async def test_holding_releases_on_an_exception(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError):
        async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=200_000, job_id=None):
            raise RuntimeError("the API said 500")
    latest = (await ledger.history(GUILD, ALICE, limit=1))[0]
    assert (latest.kind, latest.reason) == ("release", "released: the job failed (RuntimeError)")
    assert (await ledger.balance(GUILD, ALICE)).remaining == DOLLAR


async def test_holding_releases_when_the_task_is_cancelled(ledger: Ledger) -> None:
    inside = asyncio.Event()

    async def job() -> None:
        async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=200_000, job_id=None):
            inside.set()
            await asyncio.Event().wait()  # the API call that never ends

    task = asyncio.create_task(job())
    await inside.wait()
    assert (await ledger.balance(GUILD, ALICE)).held == 200_000
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    latest = (await ledger.history(GUILD, ALICE, limit=1))[0]
    assert (latest.kind, latest.reason) == ("release", "released: the job was cancelled")
    assert (await ledger.balance(GUILD, ALICE)).held == 0


async def test_holding_releases_when_the_block_ends_without_a_capture(ledger: Ledger) -> None:
    async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=200_000, job_id=None):
        pass
    assert (await ledger.balance(GUILD, ALICE)).held == 0


async def test_a_refused_holding_raises_before_the_block(ledger: Ledger) -> None:
    entered = False
    with pytest.raises(BudgetExceeded):
        async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=2 * DOLLAR, job_id=None):
            entered = True
    assert not entered
    assert await ledger.entries(GUILD) == []


@pytest.mark.parametrize("yields", range(10))
async def test_a_hold_cancelled_in_flight_never_leaves_money_held(
    ledger: Ledger, db_path: Path, clock: Clock, yields: int
) -> None:
    # Depending on when the cancellation lands, the hold never runs, or runs and is released at once, or
    # (cancelled too late) it was already returned to the caller, who then owns it.
    task = asyncio.create_task(ledger.hold(guild_id=GUILD, user_id=ALICE, amount=250_000, job_id=None))
    for _ in range(yields):
        await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        expected_held = 0
    else:
        expected_held = 250_000
    await ledger.close()  # waits for the clean-up of an abandoned hold
    reopened = await Ledger.open(db_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        assert (await reopened.balance(GUILD, ALICE)).held == expected_held
        kinds = [e.kind for e in await reopened.entries(GUILD)]
        assert kinds in ([], ["hold", "release"]) if expected_held == 0 else kinds == ["hold"]
    finally:
        await reopened.close()


async def test_a_free_job_is_allowed_even_when_overdrawn(ledger: Ledger) -> None:
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=-2 * DOLLAR, actor_id=MOD)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=0, job_id=None)
    await ledger.capture(hold, 0)
    assert (await ledger.balance(GUILD, ALICE)).remaining == 0
