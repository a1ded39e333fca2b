"""Holds: reserve money for a job, then settle it by what happened, and recover after a crash.

A hold is settled once: captured (the member pays part or all of it, the rest returns), released (all of it
returns), or uncertain (the request's outcome is unknown: the operator may have paid it all). Before that a
write-off may take what the provider billed that the member never received. `request_sent` and `answered`
record on the job's row how far the request got, so a failure (or the next start, after a crash) settles the
hold the way the provider's bill says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Final, NotRequired, TypedDict, Unpack

import aiosqlite

from bot.ledger.checks import check_amount
from bot.ledger.context import Context
from bot.ledger.db import transaction
from bot.ledger.errors import BudgetExceeded, BudgetScope, HoldSettled
from bot.ledger.models import Hold
from bot.ledger.periods import bounds_at, from_us
from bot.ledger.sqlite import holds as sql
from bot.money import format_amount

log = logging.getLogger(__name__)

CRASH_RELEASE_REASON: Final = "released at start-up after a crash"
CRASH_WRITE_OFF_REASON: Final = "written off at start-up: the provider billed images the member never received"
CRASH_UNCERTAIN_REASON: Final = "uncertain at start-up: the request had reached the image service"
INTERRUPTED: Final = "interrupted: the bot stopped before the job finished"


class HoldRequest(TypedDict):
    """`Holds.hold`'s arguments, which `Holds.holding` takes too."""

    guild_id: int
    user_id: int
    amount: int
    job_id: int | None
    reason: NotRequired[str]
    role_ids: NotRequired[Iterable[int]]


class Holds:
    """The holds part of the `Ledger`."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._db = context.db
        # Holds inside a `holding` block, and those of them a capture or settlement has settled: the block's end
        # then has nothing left to release, and skips that statement.
        self._in_block: set[int] = set()
        self._settled: set[int] = set()

    async def hold(
        self,
        *,
        guild_id: int,
        user_id: int,
        amount: int,
        job_id: int | None,
        reason: str = "",
        role_ids: Iterable[int] = (),
    ) -> Hold:
        """Reserve `amount` for a job, or raise `BudgetExceeded` if the member's budget, the server cap or the
        operator cap has less left. The checks and the reservation are one statement, so concurrent holds (in
        any servers) never overspend. Settle the hold with `capture`, `settle`, `uncertain` or `release` (or
        use `holding`). `role_ids` are the member's roles (a role allowance may apply)."""
        check_amount(amount, "a hold")
        now_us = self._context.now_us()
        parameters = self._context.parameters(guild_id, user_id, now_us, role_ids)
        parameters.update(amount=amount, reason=reason, job_id=job_id)

        async def release_abandoned(rows: list[Any]) -> None:
            for hold_id, _period, _start in rows:
                await self._release(hold_id, user_id, "released: the job was cancelled while reserving")

        async def recheck(conn: aiosqlite.Connection) -> tuple[list[Any], Any]:
            # Alone on the connection, so the explanation describes exactly the state that refused.
            rows = list(await conn.execute_fetchall(sql.HOLD, parameters))
            return rows, None if rows else next(iter(await conn.execute_fetchall(sql.REFUSAL, parameters)))

        async def release_rechecked(outcome: tuple[list[Any], Any]) -> None:
            await release_abandoned(outcome[0])

        # The common case is one statement committed with its neighbours; only a refusal costs more.
        rows = await self._db.statement(sql.HOLD, parameters, undo=release_abandoned)
        if not rows:
            rows, refusal = await self._db.run(recheck, undo=release_rechecked)
            if not rows:
                raise self._refusal(amount, now_us, refusal)
        hold_id, period, period_start = rows[0]
        log.debug("hold %d: %s for %d in guild %d", hold_id, format_amount(amount), user_id, guild_id)
        return Hold(
            id=hold_id,
            guild_id=guild_id,
            user_id=user_id,
            amount=amount,
            job_id=job_id,
            period=period,
            period_start=from_us(period_start),
            created_at=from_us(now_us),
        )

    def _refusal(self, amount: int, now_us: int, row: Any) -> BudgetExceeded:
        allowance, period, remaining, cap, cap_period, cap_remaining, operator_remaining = row
        scope: BudgetScope = "member"
        if remaining >= amount and cap is not None and cap_remaining < amount:
            scope, allowance, period, remaining = "server", cap, cap_period, cap_remaining
        elif remaining >= amount and operator_remaining is not None:
            terms = self._context.terms
            scope, allowance, period = "operator", terms.operator_cap, terms.operator_cap_period
            remaining = operator_remaining
        reset = bounds_at(from_us(now_us)).next_reset(period)
        return BudgetExceeded(
            amount=amount,
            remaining=max(0, remaining),
            allowance=allowance,
            period=period,
            next_reset=None if reset is None else from_us(reset),
            scope=scope,
        )

    async def request_sent(self, hold: Hold) -> None:
        """Record on the hold's job that its request is leaving for the API (call it just before the call):
        from now on a failure without an answer makes the hold `uncertain`."""
        await self._db.statement(
            sql.REQUEST_SENT, {"job_id": _job_of(hold), "now": self._context.now_us()}, shielded=True
        )

    async def answered(self, hold: Hold, billed: int) -> None:
        """Record on the hold's job what the provider billed, as soon as the API answered: from now on a
        failure writes that off (the operator paid it; the member did not receive it)."""
        check_amount(billed, "a billed amount")
        parameters = {"job_id": _job_of(hold), "billed": billed, "now": self._context.now_us()}
        await self._db.statement(sql.ANSWERED, parameters, shielded=True)

    async def capture(self, hold: Hold, amount: int, *, reason: str = "") -> None:
        """Charge `amount` (at most the hold) to the hold's period, whenever this runs; the rest of the
        hold returns to the member. Raises `HoldSettled` if the hold was already settled."""
        check_amount(amount, "a capture")
        if amount > hold.amount:
            raise ValueError(f"cannot capture {amount} from a hold of {hold.amount}")
        parameters = {"hold_id": hold.id, "amount": amount, "actor_id": hold.user_id, "reason": reason}
        parameters["now"] = self._context.now_us()
        captured = await self._db.statement(sql.CAPTURE, parameters, shielded=True)
        self._mark_settled(hold)  # by this capture, or before it
        if not captured:
            raise HoldSettled(f"hold {hold.id} was already settled")

    async def settle(self, hold: Hold, *, charged: int, written_off: int, reason: str = "") -> None:
        """Capture `charged` from the member, record `written_off` as a write-off (billed by the provider,
        not received by the member: it counts toward the server and operator caps, not the member's spend),
        and release the rest, in one transaction. Raises `HoldSettled` if the hold was already settled."""
        check_amount(charged, "a capture")
        check_amount(written_off, "a write-off")
        if charged + written_off > hold.amount:
            raise ValueError(f"cannot settle {charged} + {written_off} from a hold of {hold.amount}")
        if not written_off:
            await self.capture(hold, charged, reason=reason)
            return
        now_us = self._context.now_us()
        base = {"hold_id": hold.id, "actor_id": hold.user_id, "now": now_us}

        async def work(conn: aiosqlite.Connection) -> bool:
            async with transaction(conn):
                parameters = {**base, "amount": written_off, "reason": reason}
                if not list(await conn.execute_fetchall(sql.WRITE_OFF, parameters)):
                    return False
                if charged:
                    await conn.execute_fetchall(sql.CAPTURE, {**base, "amount": charged, "reason": reason})
                else:
                    await conn.execute_fetchall(sql.RELEASE, {**base, "reason": reason})
                return True

        settled = await self._db.run(work, shielded=True)
        self._mark_settled(hold)  # by this settlement, or before it
        if not settled:
            raise HoldSettled(f"hold {hold.id} was already settled")

    def _mark_settled(self, hold: Hold) -> None:
        if hold.id in self._in_block:
            self._settled.add(hold.id)

    async def uncertain(self, hold: Hold, reason: str) -> bool:
        """The request's outcome is unknown (a timeout at the API): what is left of the hold becomes an
        `uncertain` entry (the operator may have paid it; the member is not charged). Returns False if the
        hold was already settled."""
        parameters = {"hold_id": hold.id, "actor_id": None, "reason": reason, "now": self._context.now_us()}
        return bool(await self._db.statement(sql.UNCERTAIN, parameters, shielded=True))

    async def release(self, hold: Hold, reason: str = "") -> bool:
        """Return the whole hold to the member. Releasing a hold already settled does nothing and
        returns False, so failure paths can always call it."""
        return await self._release(hold.id, hold.user_id, reason)

    async def _release(self, hold_id: int, actor_id: int | None, reason: str) -> bool:
        parameters = {"hold_id": hold_id, "actor_id": actor_id, "reason": reason, "now": self._context.now_us()}
        return bool(await self._db.statement(sql.RELEASE, parameters, shielded=True))

    async def settle_failed(self, hold: Hold, why: str) -> bool:
        """Settle a hold whose job failed, by how far its request got (see `holding`); False if it was
        already settled."""
        now_us = self._context.now_us()

        async def work(conn: aiosqlite.Connection) -> bool:
            async with transaction(conn):
                rows = list(await conn.execute_fetchall(sql.HOLD_OUTCOME, {"hold_id": hold.id}))
                if not rows:
                    return False
                await _settle_failed(conn, rows[0], why=why, now_us=now_us)
                return True

        return await self._db.run(work, shielded=True)

    @asynccontextmanager
    async def holding(self, **request: Unpack[HoldRequest]) -> AsyncIterator[Hold]:
        """Hold (`hold`'s arguments), yield the hold, and settle it when the block ends without settling it. On
        an exception (cancellation included): if the API answered (`answered`), write off what it billed and
        release the rest; if the request was sent but not answered (`request_sent`), the hold becomes
        `uncertain`; otherwise release it. A normal exit without a settlement releases it."""
        hold = await self.hold(**request)
        self._in_block.add(hold.id)
        try:
            yield hold
        except asyncio.CancelledError:
            await self.settle_failed(hold, "the job was cancelled")
            raise
        except BaseException as exc:
            await self.settle_failed(hold, f"the job failed ({type(exc).__name__})")
            raise
        finally:
            self._in_block.discard(hold.id)
            settled = hold.id in self._settled
            self._settled.discard(hold.id)
        if not settled:  # a settled hold has nothing left to release
            await self.release(hold, "released: the job ended without a charge")

    async def recover(self) -> int:
        """Settle every hold this instance left open by a crash as `holding` does on a failure (released,
        written off, or uncertain, with a ledger entry saying so) and mark this instance's jobs that were
        still running as failed. Call once at start-up, before accepting commands; returns the number of
        holds settled."""
        now_us = self._context.now_us()
        instance = self._context.terms.instance_id

        async def work(conn: aiosqlite.Connection) -> int:
            async with transaction(conn):
                holds = list(await conn.execute_fetchall(sql.INSTANCE_HOLDS, {"instance_id": instance}))
                for row in holds:
                    await _settle_failed(conn, row, why=None, now_us=now_us)
                await conn.execute_fetchall(
                    sql.FAIL_RUNNING, {"error": INTERRUPTED, "now": now_us, "instance_id": instance}
                )
                return len(holds)

        settled = await self._db.run(work)
        if settled:
            log.warning("settled %d hold(s) left open by a crash", settled)
        return settled


def _job_of(hold: Hold) -> int:
    if hold.job_id is None:
        raise ValueError(f"hold {hold.id} has no job to record the request on")
    return hold.job_id


async def _settle_failed(conn: aiosqlite.Connection, row: Any, *, why: str | None, now_us: int) -> None:
    """One open hold of a failed job (`why`; None: a crash found at start-up), settled by its job's record."""
    hold_id, _user_id, _amount, sent, billed = row
    base = {"hold_id": hold_id, "actor_id": None, "now": now_us}
    if billed is not None:
        reason = CRASH_WRITE_OFF_REASON if why is None else f"written off: {why} after the image service answered"
        await conn.execute_fetchall(sql.WRITE_OFF, {**base, "amount": billed, "reason": reason})
        release = CRASH_RELEASE_REASON if why is None else f"released: {why}"
        await conn.execute_fetchall(sql.RELEASE, {**base, "reason": release})
    elif sent:
        reason = CRASH_UNCERTAIN_REASON if why is None else f"uncertain: {why} while the request was at the service"
        await conn.execute_fetchall(sql.UNCERTAIN, {**base, "reason": reason})
    else:
        reason = CRASH_RELEASE_REASON if why is None else f"released: {why}"
        await conn.execute_fetchall(sql.RELEASE, {**base, "reason": reason})
