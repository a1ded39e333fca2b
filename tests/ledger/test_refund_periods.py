"""A refund gives the member the money back now: it counts in the member's current period, whenever the job
was charged, so refunding last month's job leaves something to spend this month. What the server and the
operator paid the provider does not change (the provider was paid), so it frees none of their caps."""

from __future__ import annotations

import pytest

from bot.ledger import BudgetExceeded, Ledger

from .conftest import ALICE, DOLLAR, GUILD, MOD, Clock, new_job

PRICE = 60_000


async def charged_job(ledger: Ledger, amount: int = 2 * PRICE) -> int:
    job = await new_job(ledger)
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=amount, job_id=job)
    await ledger.capture(hold, amount)
    return job


async def test_refunding_last_months_job_gives_the_money_back_this_month(ledger: Ledger, clock: Clock) -> None:
    job = await charged_job(ledger)
    clock.set(2025, 4, 2, 9, 0)  # the next month: the charge is in March's period
    assert (await ledger.balance(GUILD, ALICE)).remaining == DOLLAR
    assert await ledger.refund(job, actor_id=MOD, reason="blurry") == 2 * PRICE

    balance = await ledger.balance(GUILD, ALICE)
    assert balance.remaining == DOLLAR + 2 * PRICE
    assert balance.spent == 0  # never below nothing: the credit shows as given back this period
    assert balance.refund_credit == 2 * PRICE  # part of `granted`, shown apart as refunded
    assert balance.allowance + balance.granted - balance.spent - balance.held == balance.remaining
    # It can be spent now, in one hold (the same statement that guards every job).
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=DOLLAR + 2 * PRICE, job_id=await new_job(ledger))
    with pytest.raises(BudgetExceeded):
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=1, job_id=await new_job(ledger))

    [refund] = [e for e in await ledger.entries(GUILD) if e.kind == "refund"]
    assert (refund.period, refund.period_start.month) == ("month", 4)
    april = await ledger.report(GUILD, "month")
    assert (april.captured, april.refunded, april.paid) == (0, 2 * PRICE, 0)  # the provider kept March's payment
    assert april.spent == 0  # never below nothing here either


async def test_a_refund_in_the_same_period_lowers_what_was_spent(ledger: Ledger, clock: Clock) -> None:
    await charged_job(ledger, PRICE)
    job = await charged_job(ledger)
    await ledger.refund(job, actor_id=MOD)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.granted, balance.remaining) == (PRICE, 0, DOLLAR - PRICE)
    assert balance.refund_credit == 0  # within this period's spending: it lowers what was spent
    report = await ledger.report(GUILD, "month")
    assert (report.spent, report.captured, report.refunded, report.paid) == (PRICE, 3 * PRICE, 2 * PRICE, 3 * PRICE)


async def test_a_refund_frees_none_of_the_server_cap(ledger: Ledger, clock: Clock) -> None:
    await ledger.set_cap(guild_id=GUILD, amount=3 * PRICE, period="month", actor_id=MOD)
    clock.set(2025, 3, 31, 23, 0)
    job = await charged_job(ledger, 2 * PRICE)
    clock.set(2025, 4, 1, 1, 0)
    await charged_job(ledger, 3 * PRICE)  # April's cap, all of it
    await ledger.refund(job, actor_id=MOD)  # March's job, refunded in April
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=PRICE, job_id=await new_job(ledger))
    assert refused.value.scope == "server"
