"""Reading the ledger: balances, reports, the operator's usage, and ledger lines for exports and history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aiosqlite

from bot.ledger.checks import check_period
from bot.ledger.context import Context
from bot.ledger.db import transaction
from bot.ledger.models import Balance, Entry, Report, Spender, UsageRow
from bot.ledger.periods import Period, bounds_at, from_us, to_us
from bot.ledger.sqlite import reports as sql


class Reports:
    """The reading part of the `Ledger`: balances, reports, usage and ledger lines."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._db = context.db

    async def balance(self, guild_id: int, user_id: int, *, role_ids: Iterable[int] = ()) -> Balance:
        """The member's budget now; `role_ids` are their roles (a role allowance may apply)."""
        now_us = self._context.now_us()
        rows = await self._db.statement(sql.BALANCE, self._context.parameters(guild_id, user_id, now_us, role_ids))
        allowance, source, period, start, spent, held, granted, role_id = rows[0]
        reset = bounds_at(from_us(now_us)).next_reset(period)
        credit = max(0, -spent)  # refunds of earlier periods' jobs beyond this period's spending
        return Balance(
            remaining=max(0, allowance + granted - spent - held),
            spent=spent + credit,
            held=held,
            granted=granted + credit,
            allowance=allowance,
            allowance_source=source,
            period=period,
            period_start=from_us(start),
            next_reset=None if reset is None else from_us(reset),
            allowance_role_id=None if role_id is None else int(role_id),
            refund_credit=credit,
        )

    async def report(self, guild_id: int, period: Period | None = None, *, top: int = 10) -> Report:
        """The server's totals for the current `period` (None: the server's default period) and its top
        spenders (by what they spent: captures less refunds)."""
        check_period(period)
        if period is None:
            rows = await self._db.statement(sql.SERVER_PERIOD, (guild_id,))
            period = rows[0][0] if rows and rows[0][0] else self._context.terms.default_period
        bounds = bounds_at(self._context.clock())
        start = bounds.start(period)
        reset = bounds.next_reset(period)
        # Bounded at the end too (which matters only to a clock set back), so the totals add up exactly the
        # lines `period_entries(guild_id, period_start, next_reset)` lists.
        end = 2**63 - 1 if reset is None else reset

        async def work(conn: aiosqlite.Connection) -> Report:
            async with transaction(conn, "DEFERRED"):
                totals = await conn.execute_fetchall(sql.TOTALS, (guild_id, start, end))
                spenders = await conn.execute_fetchall(sql.SPENDERS, (guild_id, start, end, top))
            captured, refunded, written_off, uncertain, held, granted, jobs = next(iter(totals))
            return Report(
                guild_id=guild_id,
                period=period,
                period_start=from_us(start),
                next_reset=None if reset is None else from_us(reset),
                spent=max(0, captured - refunded),
                captured=captured,
                refunded=refunded,
                written_off=written_off,
                uncertain=uncertain,
                held=held,
                granted=granted,
                jobs=jobs,
                top_spenders=tuple(Spender(user, total, count) for user, total, count in spenders),
            )

        return await self._db.run(work)

    async def usage(self, since: datetime | None = None, guild_id: int | None = None) -> list[UsageRow]:
        """For the operator: what each server's jobs cost since `since` (None: ever), by when the money moved;
        one row per server with any (or only `guild_id`'s), then a total row (`guild_id=None`). Their `paid`
        is what the provider was paid (captured + written off + uncertain)."""
        parameters = {"since": -(2**63) if since is None else to_us(since), "guild_id": guild_id}
        rows = [UsageRow(*row) for row in await self._db.statement(sql.USAGE, parameters)]
        total = UsageRow(
            guild_id=None,
            captured=sum(row.captured for row in rows),
            refunded=sum(row.refunded for row in rows),
            written_off=sum(row.written_off for row in rows),
            uncertain=sum(row.uncertain for row in rows),
        )
        return [*rows, total]

    async def entries(self, guild_id: int, since: datetime | None = None, until: datetime | None = None) -> list[Entry]:
        """The server's ledger lines made in [since, until), oldest first (for a CSV export)."""
        return await self._entries_between(sql.ENTRIES_MADE, guild_id, since, until)

    async def period_entries(
        self, guild_id: int, start: datetime | None = None, until: datetime | None = None
    ) -> list[Entry]:
        """The server's ledger lines that count in [start, until), oldest first: the lines `report` adds up
        for a period starting at `start`, so its CSV export matches its totals. A capture or release counts
        at the time of its hold, wherever the period boundary fell between them; any other line at the time
        it was made. (Unlike `entries`, which selects lines by the time they were made.)"""
        return await self._entries_between(sql.ENTRIES_COUNTING, guild_id, start, until)

    async def _entries_between(
        self, statement: str, guild_id: int, start: datetime | None, until: datetime | None
    ) -> list[Entry]:
        rows = await self._db.statement(
            statement,
            (
                guild_id,
                -(2**63) if start is None else to_us(start),
                2**63 - 1 if until is None else to_us(until),
            ),
        )
        return [_entry(row) for row in rows]

    async def history(self, guild_id: int, user_id: int, limit: int = 10) -> list[Entry]:
        """The member's most recent ledger lines, newest first."""
        rows = await self._db.statement(sql.HISTORY, (guild_id, user_id, limit))
        return [_entry(row) for row in rows]


def _entry(row: Any) -> Entry:
    entry_id, kind, amount, guild, user, actor, reason, job, hold, period, start, created = row
    return Entry(
        id=entry_id,
        kind=kind,
        amount=amount,
        guild_id=guild,
        user_id=user,
        actor_id=actor,
        reason=reason,
        job_id=job,
        hold_id=hold,
        period=period,
        period_start=from_us(start),
        created_at=from_us(created),
    )
