"""Many holds at once never overspend: exactly the ones that fit succeed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.ledger import BudgetExceeded, Hold, Ledger

from .conftest import ALICE, DOLLAR, GUILD, MOD, Clock

PRICE = 60_000


def outcomes(results: list[Hold | BaseException]) -> tuple[list[Hold], list[BudgetExceeded]]:
    holds = [r for r in results if isinstance(r, Hold)]
    refusals = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(holds) + len(refusals) == len(results), [r for r in results if not isinstance(r, Hold)]
    return holds, refusals


@pytest.mark.parametrize("fit", [0, 1, 37, 199, 200])
async def test_200_concurrent_holds_by_one_member_exactly_k_succeed(ledger: Ledger, fit: int) -> None:
    # One micro-dollar short of one more hold.
    allowance = fit * PRICE + PRICE - 1
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=allowance, actor_id=MOD)
    results = await asyncio.gather(
        *(ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(200)),
        return_exceptions=True,
    )
    holds, refusals = outcomes(results)
    assert len(holds) == fit
    assert len(refusals) == 200 - fit
    assert len({hold.id for hold in holds}) == fit
    assert all(refusal.scope == "member" and refusal.remaining < PRICE for refusal in refusals)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.held, balance.remaining) == (fit * PRICE, PRICE - 1)


async def test_concurrent_holds_and_captures_interleaved_still_fit_exactly(ledger: Ledger) -> None:
    # Captures of half of each hold free money while more holds arrive: the total charged never passes
    # the allowance, and at least the first wave of holds (all that fit before any capture) succeeds.
    async def job() -> int:
        try:
            hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=2 * PRICE, job_id=None)
        except BudgetExceeded:
            return 0
        await ledger.capture(hold, PRICE)
        return PRICE

    charged = sum(await asyncio.gather(*(job() for _ in range(200))))
    balance = await ledger.balance(GUILD, ALICE)
    assert balance.spent == charged <= DOLLAR
    assert balance.held == 0
    assert balance.remaining == DOLLAR - charged
    assert charged >= (DOLLAR // (2 * PRICE)) * PRICE


@pytest.mark.parametrize("fit", [0, 23, 150])
async def test_the_server_cap_holds_across_many_members_at_once(ledger: Ledger, fit: int) -> None:
    await ledger.set_cap(guild_id=GUILD, amount=fit * PRICE + PRICE - 1, period="month", actor_id=MOD)
    members = range(1000, 1100)
    results = await asyncio.gather(
        *(ledger.hold(guild_id=GUILD, user_id=member, amount=PRICE, job_id=None) for member in members for _ in "ab"),
        return_exceptions=True,
    )
    holds, refusals = outcomes(results)
    assert len(holds) == fit
    assert all(refusal.scope == "server" for refusal in refusals)
    report = await ledger.report(GUILD, "month")
    assert report.held == fit * PRICE


async def test_two_processes_on_one_file_do_not_overspend(db_path: Path, clock: Clock) -> None:
    # The bot is one process, but SQLite's own locking must still make the check-and-hold atomic if a
    # second connection writes too (an operator's script, a second instance started by mistake).
    first = await Ledger.open(db_path, default_allowance=10 * PRICE, default_period="day", clock=clock)
    second = await Ledger.open(db_path, default_allowance=10 * PRICE, default_period="day", clock=clock)
    try:
        results = await asyncio.gather(
            *(
                ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None)
                for _ in range(30)
                for ledger in (first, second)
            ),
            return_exceptions=True,
        )
        holds, _refusals = outcomes(results)
        assert len(holds) == 10
        assert (await first.balance(GUILD, ALICE)).held == 10 * PRICE
    finally:
        await first.close()
        await second.close()


async def test_one_failing_statement_in_a_batch_fails_alone(ledger: Ledger) -> None:
    # A hold for a job that does not exist breaks a foreign key; the holds committed with it still land.
    results = await asyncio.gather(
        *(ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(5)),
        ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=424242),
        *(ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(5)),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Hold"] * 5 + ["IntegrityError"] + ["Hold"] * 5
    assert (await ledger.balance(GUILD, ALICE)).held == 10 * PRICE
    assert len(await ledger.entries(GUILD)) == 10


async def test_settings_changes_queued_among_holds_apply_in_order(sqlite_path: Path, clock: Clock) -> None:
    # SQLite's single writer: a settings change is a multi-statement transaction; holds queued before it see
    # the old allowance, holds queued after it the new one. (PostgreSQL runs them concurrently, serializably.)
    ledger = await Ledger.open(sqlite_path, default_allowance=DOLLAR, default_period="month", clock=clock)
    before = [ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(20)]
    change = ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=30 * PRICE, actor_id=MOD)
    after = [ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(20)]
    results = await asyncio.gather(*before, change, *after, return_exceptions=True)
    await ledger.close()
    first, refused_first = outcomes(results[:20])
    second, _ = outcomes(results[21:])
    assert (len(first), len(refused_first)) == (DOLLAR // PRICE, 20 - DOLLAR // PRICE)
    assert len(second) == 30 - len(first)


async def test_a_settings_change_among_concurrent_holds_never_lets_them_overspend(ledger: Ledger) -> None:
    # Both backends (the test above is SQLite's queue order): each hold counts against the allowance before the
    # change or the one after it, never more than either, however the transactions interleave.
    before = [ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(20)]
    change = ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=30 * PRICE, actor_id=MOD)
    after = [ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=None) for _ in range(20)]
    results = await asyncio.gather(*before, change, *after, return_exceptions=True)
    assert results[20] is None
    holds, refusals = outcomes(results[:20] + results[21:])
    assert DOLLAR // PRICE <= len(holds) <= 30
    assert all(refusal.scope == "member" and refusal.remaining < PRICE for refusal in refusals)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.allowance, balance.held) == (30 * PRICE, len(holds) * PRICE)
    assert balance.remaining == (30 - len(holds)) * PRICE
