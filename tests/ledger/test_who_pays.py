"""Who pays for what: settlements by outcome, write-offs and uncertain entries, refunds, the operator's limits,
recovery per instance, the CSV's kinds and the operator's usage."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ledger import (
    CRASH_UNCERTAIN_REASON,
    CRASH_WRITE_OFF_REASON,
    MAX_AMOUNT,
    AmountTooLarge,
    BudgetExceeded,
    Hold,
    HoldSettled,
    Ledger,
    RefundRefused,
    entries_csv,
)

from .conftest import ALICE, BOB, DOLLAR, GUILD, MOD, Clock, new_job

OTHER_GUILD = 20
PRICE = 60_000


async def job_hold(ledger: Ledger, amount: int = 3 * PRICE, user_id: int = ALICE, guild_id: int = GUILD) -> Hold:
    job = await new_job(ledger, user_id=user_id, guild_id=guild_id)
    return await ledger.hold(guild_id=guild_id, user_id=user_id, amount=amount, job_id=job)


# -- settlements -------------------------------------------------------------------------------------------


async def test_settle_charges_the_member_writes_off_the_rest_of_the_bill_and_releases_the_remainder(
    ledger: Ledger,
) -> None:
    hold = await job_hold(ledger)
    await ledger.settle(hold, charged=PRICE, written_off=PRICE, reason="one image failed to download")
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.held, balance.remaining) == (PRICE, 0, DOLLAR - PRICE)
    report = await ledger.report(GUILD, "month")
    assert (report.captured, report.written_off, report.uncertain, report.paid) == (PRICE, PRICE, 0, 2 * PRICE)
    kinds = [(e.kind, e.amount, e.user_id, e.job_id) for e in await ledger.entries(GUILD)]
    assert kinds == [
        ("hold", 3 * PRICE, ALICE, hold.job_id),
        ("write-off", PRICE, ALICE, hold.job_id),
        ("capture", PRICE, ALICE, hold.job_id),
    ]
    with pytest.raises(HoldSettled):
        await ledger.settle(hold, charged=0, written_off=PRICE)


async def test_settle_with_nothing_charged_releases_what_was_not_written_off(ledger: Ledger) -> None:
    hold = await job_hold(ledger)
    await ledger.settle(hold, charged=0, written_off=2 * PRICE, reason="Discord refused the upload")
    entries = await ledger.entries(GUILD)
    assert [(e.kind, e.amount) for e in entries] == [("hold", 3 * PRICE), ("write-off", 2 * PRICE), ("release", PRICE)]
    assert (await ledger.balance(GUILD, ALICE)).spent == 0


async def test_settle_refuses_more_than_the_hold(ledger: Ledger) -> None:
    hold = await job_hold(ledger)
    with pytest.raises(ValueError, match="cannot settle"):
        await ledger.settle(hold, charged=2 * PRICE, written_off=2 * PRICE)
    assert (await ledger.balance(GUILD, ALICE)).held == 3 * PRICE


async def test_uncertain_turns_the_hold_into_an_entry_the_member_does_not_pay(ledger: Ledger) -> None:
    hold = await job_hold(ledger)
    assert await ledger.uncertain(hold, "the image service timed out")
    assert not await ledger.uncertain(hold, "twice")
    assert not await ledger.release(hold)
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.held, balance.remaining) == (0, 0, DOLLAR)
    report = await ledger.report(GUILD, "month")
    assert (report.uncertain, report.paid, report.spent) == (3 * PRICE, 3 * PRICE, 0)


@pytest.mark.parametrize(
    ("progress", "kinds"),
    [
        ("none", [("hold", 3 * PRICE), ("release", 3 * PRICE)]),
        ("sent", [("hold", 3 * PRICE), ("uncertain", 3 * PRICE)]),
        ("answered", [("hold", 3 * PRICE), ("write-off", 2 * PRICE), ("release", PRICE)]),
    ],
)
@pytest.mark.parametrize("failure", [RuntimeError("download failed"), asyncio.CancelledError()])
async def test_holding_settles_a_failure_by_how_far_the_request_got(
    ledger: Ledger, progress: str, kinds: list[tuple[str, int]], failure: BaseException
) -> None:
    job = await new_job(ledger)

    async def run() -> None:
        async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=3 * PRICE, job_id=job) as hold:
            if progress != "none":
                await ledger.request_sent(hold)
            if progress == "answered":
                await ledger.answered(hold, 2 * PRICE)
            raise failure

    with pytest.raises(type(failure)):
        await run()
    assert [(e.kind, e.amount) for e in await ledger.entries(GUILD)] == kinds
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.held) == (0, 0)
    record = await ledger.job(job)
    assert record is not None
    assert (record.request_sent_at is not None) == (progress != "none")
    assert record.billed == (2 * PRICE if progress == "answered" else None)


async def test_holding_after_a_settlement_changes_nothing_more(ledger: Ledger) -> None:
    job = await new_job(ledger)

    async def run() -> None:
        async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=3 * PRICE, job_id=job) as hold:
            await ledger.answered(hold, 3 * PRICE)
            await ledger.settle(hold, charged=2 * PRICE, written_off=PRICE)
            raise RuntimeError("finish_job failed after delivery")

    with pytest.raises(RuntimeError):
        await run()
    assert [e.kind for e in await ledger.entries(GUILD)] == ["hold", "write-off", "capture"]


# -- refunds -----------------------------------------------------------------------------------------------


async def test_a_refund_returns_what_the_job_captured_once(ledger: Ledger) -> None:
    hold = await job_hold(ledger)
    assert hold.job_id is not None
    await ledger.capture(hold, 2 * PRICE)
    assert await ledger.refund(hold.job_id, actor_id=MOD, reason="blurry", guild_id=GUILD) == 2 * PRICE
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.remaining) == (0, DOLLAR)
    report = await ledger.report(GUILD, "month")
    # The provider was paid: the server's and the operator's totals keep it.
    assert (report.spent, report.captured, report.refunded, report.paid) == (0, 2 * PRICE, 2 * PRICE, 2 * PRICE)
    refund = (await ledger.history(GUILD, ALICE, limit=1))[0]
    assert (refund.kind, refund.amount, refund.actor_id, refund.job_id, refund.reason) == (
        "refund",
        2 * PRICE,
        MOD,
        hold.job_id,
        "blurry",
    )
    for _ in range(2):
        with pytest.raises(RefundRefused) as refused:
            await ledger.refund(hold.job_id, actor_id=MOD)
        assert refused.value.problem == "refunded"
    assert (await ledger.balance(GUILD, ALICE)).spent == 0


async def test_refunds_of_unknown_uncharged_or_other_servers_jobs_are_refused(ledger: Ledger) -> None:
    free = await job_hold(ledger)
    assert free.job_id is not None
    await ledger.settle(free, charged=0, written_off=PRICE)
    elsewhere = await job_hold(ledger, guild_id=OTHER_GUILD)
    assert elsewhere.job_id is not None
    await ledger.capture(elsewhere, PRICE)
    cases = [(free.job_id, GUILD, "not-charged"), (424242, GUILD, "unknown"), (elsewhere.job_id, GUILD, "unknown")]
    for job_id, guild_id, problem in cases:
        with pytest.raises(RefundRefused) as refused:
            await ledger.refund(job_id, actor_id=MOD, guild_id=guild_id)
        assert refused.value.problem == problem
        assert str(job_id) in str(refused.value)
    assert not [e for e in await ledger.entries(GUILD) if e.kind == "refund"]


async def test_concurrent_refunds_of_one_job_pay_once(ledger: Ledger) -> None:
    hold = await job_hold(ledger)
    assert hold.job_id is not None
    await ledger.capture(hold, PRICE)
    results = await asyncio.gather(
        *(ledger.refund(hold.job_id, actor_id=MOD) for _ in range(10)), return_exceptions=True
    )
    assert sorted(map(str, results)).count(str(PRICE)) == 1
    assert sum(isinstance(r, RefundRefused) for r in results) == 9


# -- operator limits ---------------------------------------------------------------------------------------


@pytest.fixture
async def capped(db_path: Path, clock: Clock) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(
        db_path,
        default_allowance=100 * DOLLAR,
        default_period="month",
        clock=clock,
        operator_cap=10 * PRICE,
        operator_cap_period="day",
        max_allowance=5 * DOLLAR,
    )
    yield opened
    await opened.close()


@pytest.mark.parametrize("fit", [0, 7, 50])
async def test_the_operator_cap_holds_across_servers_with_50_concurrent_holds(
    db_path: Path, clock: Clock, fit: int
) -> None:
    ledger = await Ledger.open(
        db_path,
        default_allowance=100 * DOLLAR,
        default_period="month",
        clock=clock,
        operator_cap=fit * PRICE + PRICE - 1,
        operator_cap_period="day",
    )
    try:
        results = await asyncio.gather(
            *(
                ledger.hold(guild_id=guild, user_id=1000 + n, amount=PRICE, job_id=None)
                for n in range(25)
                for guild in (GUILD, OTHER_GUILD)
            ),
            return_exceptions=True,
        )
        holds = [r for r in results if isinstance(r, Hold)]
        refusals = [r for r in results if isinstance(r, BudgetExceeded)]
        assert (len(holds), len(refusals)) == (min(fit, 50), 50 - min(fit, 50))
        assert all(r.scope == "operator" and r.period == "day" and r.remaining < PRICE for r in refusals)
        held = [(await ledger.report(guild, "day")).held for guild in (GUILD, OTHER_GUILD)]
        assert sum(held) == min(fit, 50) * PRICE
    finally:
        await ledger.close()


async def test_write_offs_and_uncertain_entries_count_toward_the_operator_cap_and_refunds_do_not_free_it(
    capped: Ledger,
) -> None:
    first = await job_hold(capped, amount=4 * PRICE)
    await capped.settle(first, charged=PRICE, written_off=3 * PRICE)
    second = await job_hold(capped, amount=4 * PRICE, guild_id=OTHER_GUILD, user_id=BOB)
    await capped.uncertain(second, "timeout")
    assert first.job_id is not None
    await capped.refund(first.job_id, actor_id=MOD)
    # 8 of 10 are paid to the provider: a hold of 3 does not fit any more, one of 2 does.
    with pytest.raises(BudgetExceeded) as refused:
        await job_hold(capped, amount=3 * PRICE)
    assert (refused.value.scope, refused.value.remaining, refused.value.allowance) == (
        "operator",
        2 * PRICE,
        10 * PRICE,
    )
    assert "all servers together" in str(refused.value)
    await job_hold(capped, amount=2 * PRICE)


async def test_the_operator_cap_resets_with_its_period(capped: Ledger, clock: Clock) -> None:
    hold = await job_hold(capped, amount=10 * PRICE)
    await capped.capture(hold, 10 * PRICE)
    with pytest.raises(BudgetExceeded):
        await job_hold(capped, amount=PRICE, guild_id=OTHER_GUILD)
    clock.advance(days=1)
    await job_hold(capped, amount=PRICE, guild_id=OTHER_GUILD)


async def test_max_allowance_refuses_allowances_defaults_and_grants_above_it(capped: Ledger) -> None:
    calls = [
        capped.set_allowance(guild_id=GUILD, user_id=ALICE, amount=5 * DOLLAR + 1, actor_id=MOD),
        capped.set_default(guild_id=GUILD, amount=6 * DOLLAR, actor_id=MOD),
        capped.grant(guild_id=GUILD, user_id=ALICE, amount=5 * DOLLAR + 1, actor_id=MOD),
    ]
    for call in calls:
        with pytest.raises(AmountTooLarge) as refused:
            await call
        assert (refused.value.limit, refused.value.limit_kind) == (5 * DOLLAR, "max_allowance")
        assert "$5.00" in str(refused.value)
        assert "max_allowance" in str(refused.value)
    assert await capped.entries(GUILD) == []
    await capped.set_allowance(guild_id=GUILD, user_id=ALICE, amount=5 * DOLLAR, actor_id=MOD)
    await capped.grant(guild_id=GUILD, user_id=ALICE, amount=5 * DOLLAR, actor_id=MOD)
    await capped.grant(guild_id=GUILD, user_id=ALICE, amount=-50 * DOLLAR, actor_id=MOD)  # deducting is fine


@pytest.mark.parametrize("amount", [MAX_AMOUNT + 1, 10**30])
async def test_no_amount_a_moderator_can_type_overflows(ledger: Ledger, amount: int) -> None:
    calls = [
        ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=amount, actor_id=MOD),
        ledger.set_default(guild_id=GUILD, amount=amount, actor_id=MOD),
        ledger.set_cap(guild_id=GUILD, amount=amount, actor_id=MOD),
        ledger.grant(guild_id=GUILD, user_id=ALICE, amount=amount, actor_id=MOD),
        ledger.grant(guild_id=GUILD, user_id=ALICE, amount=-amount, actor_id=MOD),
    ]
    for call in calls:
        with pytest.raises(AmountTooLarge) as refused:
            await call
        assert refused.value.limit_kind == "bound"
    for _ in range(3):  # the largest amounts allowed add up without trouble
        await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=MAX_AMOUNT, actor_id=MOD)
    assert (await ledger.balance(GUILD, ALICE)).remaining == DOLLAR + 3 * MAX_AMOUNT


# -- recovery, CSV, usage ----------------------------------------------------------------------------------


async def test_recover_settles_only_its_own_instances_holds(db_path: Path, clock: Clock) -> None:
    async def opened(instance: str) -> Ledger:
        return await Ledger.open(
            db_path, default_allowance=DOLLAR, default_period="month", clock=clock, instance_id=instance
        )

    first, second = await opened("shard-0"), await opened("shard-1")
    try:
        released, sent, answered = [await job_hold(first) for _ in range(3)]
        await first.request_sent(sent)
        await first.answered(answered, PRICE)
        others = await job_hold(second, user_id=BOB)
        assert await second.recover() == 1
        assert await first.recover() == 3
        assert await first.recover() == 0
        by_hold = {(e.hold_id, e.kind): e for e in await first.entries(GUILD) if e.hold_id is not None}
        assert by_hold[(released.id, "release")].amount == 3 * PRICE
        assert by_hold[(sent.id, "uncertain")].reason == CRASH_UNCERTAIN_REASON
        assert by_hold[(answered.id, "write-off")].reason == CRASH_WRITE_OFF_REASON
        assert by_hold[(answered.id, "release")].amount == 2 * PRICE
        assert (others.id, "release") in by_hold
        statuses = [(await first.job(h.job_id)).status for h in (released, sent, answered, others)]  # type: ignore[arg-type,union-attr]
        assert statuses == ["failed"] * 4
    finally:
        await first.close()
        await second.close()


async def test_the_csv_spells_every_kind_and_gives_write_offs_the_jobs_member(ledger: Ledger) -> None:
    paid = await job_hold(ledger)
    await ledger.settle(paid, charged=PRICE, written_off=PRICE)
    lost = await job_hold(ledger, user_id=BOB)
    await ledger.uncertain(lost, "timeout")
    assert paid.job_id is not None
    await ledger.refund(paid.job_id, actor_id=MOD, reason="bad result")
    rows = list(csv.DictReader(io.StringIO(entries_csv(await ledger.entries(GUILD)))))
    assert list(rows[0]) == ["id", "created_at", "kind", "amount_usd", "member_id", "actor_id", "job_id", "reason"]
    assert [(r["kind"], r["amount_usd"], r["member_id"]) for r in rows] == [
        ("hold", "0.18", str(ALICE)),
        ("write-off", "0.06", str(ALICE)),
        ("capture", "0.06", str(ALICE)),
        ("hold", "0.18", str(BOB)),
        ("uncertain", "0.18", str(BOB)),
        ("refund", "0.06", str(ALICE)),
    ]
    assert (rows[-1]["actor_id"], rows[-1]["job_id"]) == (str(MOD), str(paid.job_id))


async def test_usage_per_server_and_in_total(ledger: Ledger, clock: Clock) -> None:
    old = await job_hold(ledger)
    await ledger.capture(old, PRICE)
    clock.advance(hours=1)
    since = clock.now
    here = await job_hold(ledger)
    await ledger.settle(here, charged=PRICE, written_off=PRICE)
    there = await job_hold(ledger, guild_id=OTHER_GUILD)
    await ledger.uncertain(there, "timeout")
    assert here.job_id is not None
    await ledger.refund(here.job_id, actor_id=MOD)
    rows = await ledger.usage(since, None)
    assert [(r.guild_id, r.captured, r.refunded, r.written_off, r.uncertain, r.paid) for r in rows] == [
        (GUILD, PRICE, PRICE, PRICE, 0, 2 * PRICE),
        (OTHER_GUILD, 0, 0, 0, 3 * PRICE, 3 * PRICE),
        (None, PRICE, PRICE, PRICE, 3 * PRICE, 5 * PRICE),
    ]
    assert [(r.guild_id, r.paid) for r in await ledger.usage(None, GUILD)] == [(GUILD, 3 * PRICE), (None, 3 * PRICE)]
