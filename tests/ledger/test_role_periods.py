"""A member without their own allowance gets the highest of their roles', compared over a common horizon (a
30-day month): $10 a day (about $300 a month) beats $50 a month, $2 a day (about $60) does not beat $100 a
month. A role without a period takes the server's; a `total` allowance counts as itself (it never resets). The
hold statement uses the same choice, so it is what a job may spend."""

from __future__ import annotations

import pytest

from bot.ledger import BudgetExceeded, Ledger
from bot.ledger.periods import Period

from .conftest import ALICE, DOLLAR, GUILD, MOD, new_job

TIER, VIP = 501, 502


async def give(ledger: Ledger, role_id: int, dollars: int, period: Period | None) -> None:
    await ledger.set_role_allowance(
        guild_id=GUILD, role_id=role_id, amount=dollars * DOLLAR, period=period, actor_id=MOD
    )


@pytest.mark.parametrize(
    ("tier", "vip", "winner"),
    [
        pytest.param((10, "day"), (50, "month"), TIER, id="10-a-day-beats-50-a-month"),
        pytest.param((2, "day"), (100, "month"), VIP, id="100-a-month-beats-2-a-day"),
        pytest.param((20, "week"), (80, "month"), TIER, id="20-a-week-beats-80-a-month"),
        pytest.param((100, "total"), (60, "month"), TIER, id="100-in-total-beats-60-a-month"),
        pytest.param((100, "total"), (5, "day"), VIP, id="5-a-day-beats-100-in-total"),
        pytest.param((30, "month"), (30, "month"), TIER, id="a-tie-goes-to-the-lower-role-id"),
    ],
)
async def test_the_highest_role_allowance_is_compared_over_a_month(
    ledger: Ledger, tier: tuple[int, Period], vip: tuple[int, Period], winner: int
) -> None:
    await give(ledger, TIER, *tier)
    await give(ledger, VIP, *vip)
    balance = await ledger.balance(GUILD, ALICE, role_ids=[TIER, VIP])
    amount, period = tier if winner == TIER else vip
    assert (balance.allowance_role_id, balance.allowance, balance.period) == (winner, amount * DOLLAR, period)


@pytest.mark.parametrize(("server_period", "winner"), [("day", TIER), ("month", VIP)])
async def test_a_role_without_a_period_is_compared_in_the_servers(
    ledger: Ledger, server_period: Period, winner: int
) -> None:
    await ledger.set_default(guild_id=GUILD, amount=DOLLAR, period=server_period, actor_id=MOD)
    await give(ledger, TIER, 10, None)
    await give(ledger, VIP, 50, "month")
    balance = await ledger.balance(GUILD, ALICE, role_ids=[TIER, VIP])
    assert balance.allowance_role_id == winner


async def test_a_job_may_hold_what_the_chosen_role_allows_and_no_more(ledger: Ledger) -> None:
    await give(ledger, TIER, 10, "day")
    await give(ledger, VIP, 50, "month")
    job = await new_job(ledger)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=11 * DOLLAR, job_id=job, role_ids=[TIER, VIP])
    assert (refused.value.allowance, refused.value.period) == (10 * DOLLAR, "day")
    await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=10 * DOLLAR, job_id=job, role_ids=[TIER, VIP])
