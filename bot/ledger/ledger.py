"""Budgets: hold, capture, release, grants, settings, balances and reports, each one atomic unit of work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot.ledger import sql
from bot.ledger.db import Database, transaction
from bot.ledger.errors import BudgetExceeded, HoldSettled
from bot.ledger.jobs import JobRecords
from bot.ledger.models import Balance, Entry, Hold, Report, ServerSettings, Spender
from bot.ledger.periods import PERIODS, Period, bounds_at, from_us, to_us, utc_now
from bot.money import format_amount

log = logging.getLogger(__name__)

CRASH_RELEASE_REASON = "released at start-up after a crash"
_PER: dict[Period, str] = {"day": "a day", "week": "a week", "month": "a month", "total": "in total"}


def _check_amount(amount: int, what: str) -> None:
    if amount < 0:
        raise ValueError(f"{what} cannot be negative, got {amount}")


def _check_period(period: Period | None) -> None:
    if period is not None and period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")


def _with_reason(change: str, reason: str) -> str:
    return f"{change}: {reason}" if reason else change


class Ledger(JobRecords):
    """The budget ledger of every server the bot is in. Open it with `await Ledger.open(...)`.

    `default_allowance` and `default_period` are the config's `[budget]` values, used where neither the
    member nor the server set their own. `clock` returns the current aware UTC time (tests control it).
    """

    def __init__(
        self,
        db: Database,
        *,
        default_allowance: int,
        default_period: Period,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        _check_amount(default_allowance, "the default allowance")
        _check_period(default_period)
        self._db = db
        self._clock = clock
        self._config_allowance = default_allowance
        self._config_period: Period = default_period

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        default_allowance: int,
        default_period: Period,
        clock: Callable[[], datetime] = utc_now,
    ) -> Ledger:
        """Connect to the database file (created if missing) and bring its schema up to date."""
        _check_amount(default_allowance, "the default allowance")
        _check_period(default_period)
        db = await Database.open(path)
        return cls(db, default_allowance=default_allowance, default_period=default_period, clock=clock)

    async def close(self) -> None:
        """Finish what is queued and close the database (safe to call twice)."""
        await self._db.close()

    # -- parameters every statement about a member's terms needs ------------------------------------

    def _now_us(self) -> int:
        return to_us(self._clock())

    def _terms(self, guild_id: int, user_id: int | None, now_us: int) -> dict[str, Any]:
        bounds = bounds_at(from_us(now_us))
        return {
            "guild_id": guild_id,
            "user_id": user_id,
            "config_allowance": self._config_allowance,
            "config_period": self._config_period,
            "day_start": bounds.day_start,
            "week_start": bounds.week_start,
            "month_start": bounds.month_start,
            "now": now_us,
        }

    # -- holds -----------------------------------------------------------------------------------

    async def hold(self, *, guild_id: int, user_id: int, amount: int, job_id: int | None, reason: str = "") -> Hold:
        """Reserve `amount` for a job, or raise `BudgetExceeded` if the member's budget or the server cap
        has less left. The check and the reservation are one statement, so concurrent holds never
        overspend. Settle the hold with `capture` or `release` (or use `holding`)."""
        _check_amount(amount, "a hold")
        now_us = self._now_us()
        parameters = self._terms(guild_id, user_id, now_us)
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
        _check_amount(amount, "a capture")
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
        self, *, guild_id: int, user_id: int, amount: int, job_id: int | None, reason: str = ""
    ) -> AsyncIterator[Hold]:
        """Hold, yield the hold, and release it when the block ends without capturing it: on any
        exception, cancellation included, or a normal exit without `capture`."""
        hold = await self.hold(guild_id=guild_id, user_id=user_id, amount=amount, job_id=job_id, reason=reason)
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

    # -- grants and settings -----------------------------------------------------------------------

    async def grant(self, *, guild_id: int, user_id: int, amount: int, actor_id: int, reason: str = "") -> int:
        """Add `amount` (negative: deduct) to the member's current period; returns the entry id."""
        parameters = self._terms(guild_id, user_id, self._now_us())
        parameters.update(kind="grant", amount=amount, actor_id=actor_id, reason=reason)
        rows = await self._db.statement(sql.ENTRY_NOW, parameters)
        return int(rows[0][0])

    async def set_allowance(
        self,
        *,
        guild_id: int,
        user_id: int,
        amount: int | None,
        period: Period | None = None,
        actor_id: int,
        reason: str = "",
    ) -> None:
        """Give the member their own allowance per `period` (None: the server's period), or with
        `amount=None` return them to the server's default."""
        _check_period(period)
        if amount is None:
            change = "own allowance removed; the server default applies"
            statement = "DELETE FROM member_allowances WHERE guild_id = ? AND user_id = ?"
            values: tuple[object, ...] = (guild_id, user_id)
        else:
            _check_amount(amount, "an allowance")
            per = _PER[period] if period else "per the server's period"
            change = f"allowance set to {format_amount(amount)} {per}"
            statement = (
                "INSERT INTO member_allowances (guild_id, user_id, amount, period) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET amount = excluded.amount, period = excluded.period"
            )
            values = (guild_id, user_id, amount, period)
        await self._change_settings(
            guild_id=guild_id,
            user_id=user_id,
            actor_id=actor_id,
            description=_with_reason(change, reason),
            statement=statement,
            values=values,
        )

    async def set_default(
        self, *, guild_id: int, amount: int | None, period: Period | None = None, actor_id: int, reason: str = ""
    ) -> None:
        """Set the server's default allowance (and its period; None keeps the current one). With
        `amount=None` the config's default applies again."""
        _check_period(period)
        if amount is None:
            change = "server default removed; the bot's default applies"
            statement = (
                "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO UPDATE"
                " SET default_allowance = NULL, default_period = NULL"
            )
            values: tuple[object, ...] = (guild_id,)
        else:
            _check_amount(amount, "a default allowance")
            per = _PER[period] if period else "per period"
            change = f"server default set to {format_amount(amount)} {per}"
            statement = (
                "INSERT INTO guild_settings (guild_id, default_allowance, default_period) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET default_allowance = excluded.default_allowance,"
                " default_period = COALESCE(excluded.default_period, default_period)"
            )
            values = (guild_id, amount, period)
        await self._change_settings(
            guild_id=guild_id,
            user_id=None,
            actor_id=actor_id,
            description=_with_reason(change, reason),
            statement=statement,
            values=values,
        )

    async def set_cap(
        self, *, guild_id: int, amount: int | None, period: Period | None = None, actor_id: int, reason: str = ""
    ) -> None:
        """Cap what all members together may spend per `period` (None: the cap's current period, else the
        server's default period); `amount=None` removes the cap."""
        _check_period(period)
        if amount is not None:
            _check_amount(amount, "a cap")
        settings = await self.server_settings(guild_id)
        cap_period = period or settings.cap_period or settings.default_period
        if amount is None:
            change = "server cap removed"
        else:
            change = f"server cap set to {format_amount(amount)} {_PER[cap_period]}"
        statement = (
            "INSERT INTO guild_settings (guild_id, cap_amount, cap_period) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET cap_amount = excluded.cap_amount, cap_period = excluded.cap_period"
        )
        values = (guild_id, amount, None if amount is None else cap_period)
        await self._change_settings(
            guild_id=guild_id,
            user_id=None,
            actor_id=actor_id,
            description=_with_reason(change, reason),
            statement=statement,
            values=values,
        )

    async def set_moderator_roles(
        self, *, guild_id: int, role_ids: Iterable[int], actor_id: int, reason: str = ""
    ) -> None:
        """Replace the server's moderator roles (in addition to the config's `moderator_role_ids`)."""
        roles = sorted(set(role_ids))
        change = f"moderator roles set to {', '.join(map(str, roles)) or 'none'}"
        now_us = self._now_us()

        async def work(conn: aiosqlite.Connection) -> None:
            async with transaction(conn):
                await conn.execute("DELETE FROM moderator_roles WHERE guild_id = ?", (guild_id,))
                await conn.executemany(
                    "INSERT INTO moderator_roles (guild_id, role_id) VALUES (?, ?)",
                    [(guild_id, role) for role in roles],
                )
                await self._adjustment(
                    conn,
                    guild_id=guild_id,
                    user_id=None,
                    actor_id=actor_id,
                    description=_with_reason(change, reason),
                    now_us=now_us,
                )

        await self._db.run(work)

    async def moderator_roles(self, guild_id: int) -> frozenset[int]:
        rows = await self._db.statement("SELECT role_id FROM moderator_roles WHERE guild_id = ?", (guild_id,))
        return frozenset(int(row[0]) for row in rows)

    async def _change_settings(
        self,
        *,
        guild_id: int,
        user_id: int | None,
        actor_id: int,
        description: str,
        statement: str,
        values: tuple[object, ...],
    ) -> None:
        now_us = self._now_us()

        async def work(conn: aiosqlite.Connection) -> None:
            async with transaction(conn):
                await conn.execute(statement, values)
                await self._adjustment(
                    conn,
                    guild_id=guild_id,
                    user_id=user_id,
                    actor_id=actor_id,
                    description=description,
                    now_us=now_us,
                )

        await self._db.run(work)
        log.info("guild %d: %s (by %d)", guild_id, description, actor_id)

    async def _adjustment(
        self,
        conn: aiosqlite.Connection,
        *,
        guild_id: int,
        user_id: int | None,
        actor_id: int,
        description: str,
        now_us: int,
    ) -> None:
        # Written after the change, so the entry records the period that applies from now on.
        parameters = self._terms(guild_id, user_id, now_us)
        parameters.update(kind="adjustment", amount=0, actor_id=actor_id, reason=description)
        await conn.execute_fetchall(sql.ENTRY_NOW, parameters)

    # -- reading ---------------------------------------------------------------------------------

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

    async def server_settings(self, guild_id: int) -> ServerSettings:
        async def work(conn: aiosqlite.Connection) -> ServerSettings:
            async with transaction(conn, "DEFERRED"):
                rows = list(
                    await conn.execute_fetchall(
                        "SELECT default_allowance, default_period, cap_amount, cap_period"
                        " FROM guild_settings WHERE guild_id = ?",
                        (guild_id,),
                    )
                )
                roles = await conn.execute_fetchall(
                    "SELECT role_id FROM moderator_roles WHERE guild_id = ?", (guild_id,)
                )
            allowance, period, cap, cap_period = rows[0] if rows else (None, None, None, None)
            return ServerSettings(
                guild_id=guild_id,
                default_allowance=self._config_allowance if allowance is None else allowance,
                default_period=period or self._config_period,
                default_source="config" if allowance is None else "server",
                cap=cap,
                cap_period=cap_period,
                moderator_role_ids=frozenset(int(role) for (role,) in roles),
            )

        return await self._db.run(work)

    async def report(self, guild_id: int, period: Period | None = None, *, top: int = 10) -> Report:
        """The server's totals for the current `period` (None: the server's default period) and its top
        spenders."""
        _check_period(period)
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
                    " WHERE guild_id = ? AND day >= ? AND day < ? GROUP BY user_id HAVING total > 0"
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
        rows = await self._db.statement(
            f"SELECT {sql.ENTRY_COLUMNS} FROM ledger WHERE guild_id = ? AND created_at >= ? AND created_at < ?"
            " ORDER BY id",
            (
                guild_id,
                -(2**63) if since is None else to_us(since),
                2**63 - 1 if until is None else to_us(until),
            ),
        )
        return [_entry(row) for row in rows]

    async def period_entries(
        self, guild_id: int, start: datetime | None = None, until: datetime | None = None
    ) -> list[Entry]:
        """The server's ledger lines that count in [start, until), oldest first: the lines `report` adds up
        for a period starting at `start`, so its CSV export matches its totals. A capture or release counts
        at the time of its hold, wherever the period boundary fell between them; any other line at the time
        it was made. (Unlike `entries`, which selects lines by the time they were made.)"""
        rows = await self._db.statement(
            f"SELECT {sql.ENTRY_COLUMNS} FROM ledger WHERE guild_id = ? AND counts_at >= ? AND counts_at < ?"
            " ORDER BY id",
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
