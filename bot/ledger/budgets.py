"""Budgets: allowances, the server's default and cap, grants, refunds and moderator roles, each change with a
ledger entry saying who made it. Amounts a moderator gives are bounded by the operator's `max_allowance` and
by `MAX_AMOUNT`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import aiosqlite

from bot.i18n.terms import PER_PERIOD
from bot.ledger.checks import check_amount, check_bound, check_period
from bot.ledger.context import Context
from bot.ledger.db import transaction
from bot.ledger.errors import RefundRefused
from bot.ledger.models import ServerSettings
from bot.ledger.periods import Period
from bot.ledger.sqlite import budgets as sql
from bot.money import format_amount

log = logging.getLogger(__name__)


def _with_reason(change: str, reason: str) -> str:
    return f"{change}: {reason}" if reason else change


class Budgets:
    """The budgets part of the `Ledger`: what members and servers may spend, and moderators' changes."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._db = context.db

    def _given(self, amount: int, what: str) -> None:
        """An amount a moderator gives: not negative, within `max_allowance` and `MAX_AMOUNT`."""
        check_amount(amount, what)
        check_bound(amount, self._context.terms.max_allowance)

    def _allowance_set(self, subject: str, amount: int, period: Period | None) -> str:
        """The ledger line for giving a member or a role an allowance (checked here) per `period`."""
        self._given(amount, "an allowance")
        per = PER_PERIOD[period] if period else "per the server's period"
        return f"{subject} set to {format_amount(amount)} {per}"

    async def grant(self, *, guild_id: int, user_id: int, amount: int, actor_id: int, reason: str = "") -> int:
        """Add `amount` (negative: deduct) to the member's current period; returns the entry id. A grant
        adds at most `max_allowance`; raises `AmountTooLarge` above it."""
        check_bound(amount)
        if amount > 0:
            self._given(amount, "a grant")
        parameters = self._context.parameters(guild_id, user_id, self._context.now_us())
        parameters.update(kind="grant", amount=amount, actor_id=actor_id, reason=reason)
        rows = await self._db.statement(sql.ENTRY_NOW, parameters)
        return int(rows[0][0])

    async def refund(self, job_id: int, *, actor_id: int, reason: str = "", guild_id: int | None = None) -> int:
        """Return what job `job_id` captured to its member (a `refund` entry); returns the amount. Once per job.
        The refund counts in the member's current period, whenever the job was charged, so they can spend it
        again now. What the server and the operator paid the provider does not change. With `guild_id`, only a
        job of that server. Raises `RefundRefused`."""
        now_us = self._context.now_us()

        async def work(conn: aiosqlite.Connection) -> int:
            async with transaction(conn):
                rows = list(await conn.execute_fetchall(sql.JOB_CHARGES, {"job_id": job_id}))
                if not rows or (guild_id is not None and rows[0][0] != guild_id):
                    raise RefundRefused(job_id=job_id, problem="unknown")
                job_guild, user_id, captured, refund_id = rows[0]
                if refund_id is not None:
                    raise RefundRefused(job_id=job_id, problem="refunded")
                if not captured:
                    raise RefundRefused(job_id=job_id, problem="not-charged")
                parameters = self._context.parameters(job_guild, user_id, now_us)
                parameters.update(amount=captured, actor_id=actor_id, reason=reason, job_id=job_id)
                await conn.execute_fetchall(sql.REFUND, parameters)
                return int(captured)

        refunded = await self._db.run(work)
        log.info("job %d: %s refunded (by %d)", job_id, format_amount(refunded), actor_id)
        return refunded

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
        check_period(period)
        if amount is None:
            change = "own allowance removed; the server default applies"
            statement = sql.REMOVE_ALLOWANCE
            values: tuple[object, ...] = (guild_id, user_id)
        else:
            change = self._allowance_set("allowance", amount, period)
            statement = sql.SET_ALLOWANCE
            values = (guild_id, user_id, amount, period)
        await self._change_settings(guild_id, user_id, actor_id, _with_reason(change, reason), statement, values)

    async def set_role_allowance(
        self,
        *,
        guild_id: int,
        role_id: int,
        amount: int | None,
        period: Period | None = None,
        actor_id: int,
        reason: str = "",
    ) -> None:
        """Give a role an allowance per `period` (None: the server's period): its members without their own get
        the highest of their roles'. `amount=None` removes it."""
        check_period(period)
        if amount is None:
            change = f"allowance of role {role_id} removed"
            statement = sql.REMOVE_ROLE_ALLOWANCE
            values: tuple[object, ...] = (guild_id, role_id)
        else:
            change = self._allowance_set(f"allowance of role {role_id}", amount, period)
            statement = sql.SET_ROLE_ALLOWANCE
            values = (guild_id, role_id, amount, period)
        await self._change_settings(guild_id, None, actor_id, _with_reason(change, reason), statement, values)

    async def role_allowance(self, guild_id: int, role_id: int) -> tuple[int, Period | None] | None:
        """A role's allowance and its period (None: the server's), or None if it has none."""
        rows = await self._db.statement(sql.ROLE_ALLOWANCE, (guild_id, role_id))
        return (int(rows[0][0]), rows[0][1]) if rows else None

    async def set_default(
        self, *, guild_id: int, amount: int | None, period: Period | None = None, actor_id: int, reason: str = ""
    ) -> None:
        """Set the server's default allowance (and its period; None keeps the current one). With
        `amount=None` the config's default applies again."""
        check_period(period)
        if amount is None:
            change = "server default removed; the bot's default applies"
            statement = sql.REMOVE_DEFAULT
            values: tuple[object, ...] = (guild_id,)
        else:
            self._given(amount, "a default allowance")
            per = PER_PERIOD[period] if period else "per period"
            change = f"server default set to {format_amount(amount)} {per}"
            statement = sql.SET_DEFAULT
            values = (guild_id, amount, period)
        await self._change_settings(guild_id, None, actor_id, _with_reason(change, reason), statement, values)

    async def set_cap(
        self, *, guild_id: int, amount: int | None, period: Period | None = None, actor_id: int, reason: str = ""
    ) -> None:
        """Cap what all members together may spend per `period` (None: the cap's current period, else the
        server's default period); `amount=None` removes the cap."""
        check_period(period)
        if amount is not None:
            check_amount(amount, "a cap")  # a cap limits spending: max_allowance does not apply
        settings = await self.server_settings(guild_id)
        cap_period = period or settings.cap_period or settings.default_period
        if amount is None:
            change = "server cap removed"
        else:
            change = f"server cap set to {format_amount(amount)} {PER_PERIOD[cap_period]}"
        statement = sql.SET_CAP
        values = (guild_id, amount, None if amount is None else cap_period)
        await self._change_settings(guild_id, None, actor_id, _with_reason(change, reason), statement, values)

    async def set_moderator_roles(
        self, *, guild_id: int, role_ids: Iterable[int], actor_id: int, reason: str = ""
    ) -> None:
        """Replace the server's moderator roles (in addition to the config's `moderator_role_ids`)."""
        roles = sorted(set(role_ids))
        change = f"moderator roles set to {', '.join(map(str, roles)) or 'none'}"
        now_us = self._context.now_us()

        async def work(conn: aiosqlite.Connection) -> None:
            async with transaction(conn):
                await conn.execute(sql.CLEAR_MODERATOR_ROLES, (guild_id,))
                await conn.executemany(
                    sql.ADD_MODERATOR_ROLE,
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

        self._context.policy_changed(guild_id)  # the policy part caches this table
        try:
            await self._db.run(work)
        finally:
            self._context.policy_changed(guild_id)

    async def moderator_roles(self, guild_id: int) -> frozenset[int]:
        rows = await self._db.statement(sql.MODERATOR_ROLES, (guild_id,))
        return frozenset(int(row[0]) for row in rows)

    async def _change_settings(
        self,
        guild_id: int,
        user_id: int | None,
        actor_id: int,
        description: str,
        statement: str,
        values: tuple[object, ...],
    ) -> None:
        """Apply one settings statement and its `adjustment` entry (who, what) in one transaction."""
        now_us = self._context.now_us()

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
        parameters = self._context.parameters(guild_id, user_id, now_us)
        parameters.update(kind="adjustment", amount=0, actor_id=actor_id, reason=description)
        await conn.execute_fetchall(sql.ENTRY_NOW, parameters)

    async def server_settings(self, guild_id: int) -> ServerSettings:
        async def work(conn: aiosqlite.Connection) -> ServerSettings:
            async with transaction(conn, "DEFERRED"):
                rows = list(await conn.execute_fetchall(sql.SERVER_SETTINGS, (guild_id,)))
                roles = await conn.execute_fetchall(sql.MODERATOR_ROLES, (guild_id,))
            allowance, period, cap, cap_period = rows[0] if rows else (None, None, None, None)
            return ServerSettings(
                guild_id=guild_id,
                default_allowance=self._context.terms.default_allowance if allowance is None else allowance,
                default_period=period or self._context.terms.default_period,
                default_source="config" if allowance is None else "server",
                cap=cap,
                cap_period=cap_period,
                moderator_role_ids=frozenset(int(role) for (role,) in roles),
            )

        return await self._db.run(work)
