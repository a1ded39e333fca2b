"""Reading the ledger: balances, reports, and ledger lines for exports and history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import aiosqlite

from bot.ledger import sql
from bot.ledger.checks import check_period
from bot.ledger.db import Database, transaction
from bot.ledger.models import Balance, Entry, Report, ServerSettings, Spender
from bot.ledger.periods import Period, bounds_at, from_us, to_us


class Reading:
    """The reading part of the `Ledger` (it shares the ledger's database, clock, terms and settings)."""

    _db: Database
    _clock: Callable[[], datetime]

    if TYPE_CHECKING:  # provided by `Ledger` and its `Settings` part

        def _now_us(self) -> int: ...
        def _terms(self, guild_id: int, user_id: int | None, now_us: int) -> dict[str, Any]: ...
        async def server_settings(self, guild_id: int) -> ServerSettings: ...

    async def balance(self, guild_id: int, user_id: int) -> Balance:
        now_us = self._now_us()
        rows = await self._db.statement(sql.BALANCE, self._terms(guild_id, user_id, now_us))
        allowance, source, period, start, spent, held, granted = rows[0]
        reset = bounds_at(from_us(now_us)).next_reset(period)
        return Balance(
            remaining=max(0, allowance + granted - spent - held),
            spent=spent,
            held=held,
            granted=granted,
            allowance=allowance,
            allowance_source=source,
            period=period,
            period_start=from_us(start),
            next_reset=None if reset is None else from_us(reset),
        )

    async def report(self, guild_id: int, period: Period | None = None, *, top: int = 10) -> Report:
        """The server's totals for the current `period` (None: the server's default period) and its top
        spenders."""
        check_period(period)
        if period is None:
            period = (await self.server_settings(guild_id)).default_period
        bounds = bounds_at(self._clock())
        start = bounds.start(period)
        reset = bounds.next_reset(period)
        # Bounded at the end too (which matters only to a clock set back), so the totals add up exactly the
        # lines `period_entries(guild_id, period_start, next_reset)` lists.
        end = 2**63 - 1 if reset is None else reset

        async def work(conn: aiosqlite.Connection) -> Report:
            async with transaction(conn, "DEFERRED"):
                totals = await conn.execute_fetchall(
                    "SELECT COALESCE(SUM(spent), 0), COALESCE(SUM(held), 0), COALESCE(SUM(granted), 0),"
                    " COALESCE(SUM(captures), 0) FROM guild_days WHERE guild_id = ? AND day >= ? AND day < ?",
                    (guild_id, start, end),
                )
                spenders = await conn.execute_fetchall(
                    "SELECT user_id, SUM(spent) AS total, SUM(captures) FROM member_days"
                    " WHERE guild_id = ? AND day >= ? AND day < ? GROUP BY user_id HAVING SUM(spent) > 0"
                    " ORDER BY total DESC, user_id LIMIT ?",
                    (guild_id, start, end, top),
                )
            spent, held, granted, jobs = next(iter(totals))
            return Report(
                guild_id=guild_id,
                period=period,
                period_start=from_us(start),
                next_reset=None if reset is None else from_us(reset),
                spent=spent,
                held=held,
                granted=granted,
                jobs=jobs,
                top_spenders=tuple(Spender(user, total, count) for user, total, count in spenders),
            )

        return await self._db.run(work)

    async def entries(self, guild_id: int, since: datetime | None = None, until: datetime | None = None) -> list[Entry]:
        """The server's ledger lines made in [since, until), oldest first (for a CSV export)."""
        return await self._entries_between(guild_id, "created_at", since, until)

    async def period_entries(
        self, guild_id: int, start: datetime | None = None, until: datetime | None = None
    ) -> list[Entry]:
        """The server's ledger lines that count in [start, until), oldest first: the lines `report` adds up
        for a period starting at `start`, so its CSV export matches its totals. A capture or release counts
        at the time of its hold, wherever the period boundary fell between them; any other line at the time
        it was made. (Unlike `entries`, which selects lines by the time they were made.)"""
        return await self._entries_between(guild_id, "counts_at", start, until)

    async def _entries_between(
        self, guild_id: int, column: Literal["created_at", "counts_at"], start: datetime | None, until: datetime | None
    ) -> list[Entry]:
        rows = await self._db.statement(
            f"SELECT {sql.ENTRY_COLUMNS} FROM ledger WHERE guild_id = ? AND {column} >= ? AND {column} < ? ORDER BY id",
            (
                guild_id,
                -(2**63) if start is None else to_us(start),
                2**63 - 1 if until is None else to_us(until),
            ),
        )
        return [_entry(row) for row in rows]

    async def history(self, guild_id: int, user_id: int, limit: int = 10) -> list[Entry]:
        """The member's most recent ledger lines, newest first."""
        rows = await self._db.statement(
            f"SELECT {sql.ENTRY_COLUMNS} FROM ledger WHERE guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, user_id, limit),
        )
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
