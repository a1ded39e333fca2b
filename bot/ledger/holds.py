"""Holds: reserve money for a job, then capture what it cost or release it, and recover after a crash."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

import aiosqlite

from bot.ledger import sql
from bot.ledger.checks import check_amount
from bot.ledger.db import Database, transaction
from bot.ledger.errors import BudgetExceeded, HoldSettled
from bot.ledger.models import Hold
from bot.ledger.periods import bounds_at, from_us
from bot.money import format_amount

log = logging.getLogger(__name__)

CRASH_RELEASE_REASON = "released at start-up after a crash"


class Holds:
    """The holds part of the `Ledger` (it shares the ledger's database and terms)."""

    _db: Database

    if TYPE_CHECKING:  # provided by `Ledger`

        def _now_us(self) -> int: ...
        def _terms(
            self, guild_id: int, user_id: int | None, now_us: int, role_ids: Iterable[int] = ()
        ) -> dict[str, Any]: ...

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
        """Reserve `amount` for a job, or raise `BudgetExceeded` if the member's budget or the server cap
        has less left. The check and the reservation are one statement, so concurrent holds never
        overspend. `role_ids` are the member's roles (a role allowance may apply). Settle the hold with
        `capture` or `release` (or use `holding`)."""
        check_amount(amount, "a hold")
        now_us = self._now_us()
        parameters = self._terms(guild_id, user_id, now_us, role_ids)
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

    @staticmethod
    def _refusal(amount: int, now_us: int, row: Any) -> BudgetExceeded:
        allowance, period, remaining, cap, cap_period, cap_remaining = row
        bounds = bounds_at(from_us(now_us))
        scope: Literal["member", "server"] = "member"
        if remaining >= amount and cap is not None:
            scope, allowance, period, remaining = "server", cap, cap_period, cap_remaining
        reset = bounds.next_reset(period)
        return BudgetExceeded(
            amount=amount,
            remaining=max(0, remaining),
            allowance=allowance,
            period=period,
            next_reset=None if reset is None else from_us(reset),
            scope=scope,
        )

    async def capture(self, hold: Hold, amount: int, *, reason: str = "") -> None:
        """Charge `amount` (at most the hold) to the hold's period, whenever this runs; the rest of the
        hold returns to the member. Raises `HoldSettled` if the hold was already captured or released."""
        check_amount(amount, "a capture")
        if amount > hold.amount:
            raise ValueError(f"cannot capture {amount} from a hold of {hold.amount}")
        parameters = {"hold_id": hold.id, "amount": amount, "actor_id": hold.user_id, "reason": reason}
        parameters["now"] = self._now_us()
        if not await self._db.statement(sql.CAPTURE, parameters, shielded=True):
            raise HoldSettled(f"hold {hold.id} was already captured or released")

    async def release(self, hold: Hold, reason: str = "") -> bool:
        """Return the whole hold to the member. Releasing a hold already settled does nothing and
        returns False, so failure paths can always call it."""
        return await self._release(hold.id, hold.user_id, reason)

    async def _release(self, hold_id: int, actor_id: int | None, reason: str) -> bool:
        parameters = {"hold_id": hold_id, "actor_id": actor_id, "reason": reason, "now": self._now_us()}
        return bool(await self._db.statement(sql.RELEASE, parameters, shielded=True))

    @asynccontextmanager
    async def holding(
        self,
        *,
        guild_id: int,
        user_id: int,
        amount: int,
        job_id: int | None,
        reason: str = "",
        role_ids: Iterable[int] = (),
    ) -> AsyncIterator[Hold]:
        """Hold, yield the hold, and release it when the block ends without capturing it: on any
        exception, cancellation included, or a normal exit without `capture`."""
        hold = await self.hold(
            guild_id=guild_id, user_id=user_id, amount=amount, job_id=job_id, reason=reason, role_ids=role_ids
        )
        try:
            yield hold
        except asyncio.CancelledError:
            await self.release(hold, "released: the job was cancelled")
            raise
        except BaseException as exc:
            await self.release(hold, f"released: the job failed ({type(exc).__name__})")
            raise
        await self.release(hold, "released: the job ended without a charge")

    async def recover(self) -> int:
        """Release every hold left open by a crash (with a ledger entry saying so) and mark jobs that were
        still running as failed. Call once at start-up, before accepting commands; returns the number of
        holds released."""
        now_us = self._now_us()

        async def work(conn: aiosqlite.Connection) -> int:
            async with transaction(conn):
                holds = list(await conn.execute_fetchall("SELECT hold_id FROM open_holds ORDER BY hold_id"))
                for (hold_id,) in holds:
                    await conn.execute_fetchall(
                        sql.RELEASE,
                        {"hold_id": hold_id, "actor_id": None, "reason": CRASH_RELEASE_REASON, "now": now_us},
                    )
                await conn.execute_fetchall(
                    "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE status = 'running'",
                    ("interrupted: the bot stopped before the job finished", now_us),
                )
                return len(holds)

        released = await self._db.run(work)
        if released:
            log.warning("released %d hold(s) left open by a crash", released)
        return released
