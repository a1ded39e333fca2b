"""Grants and settings: allowances, the server's default and cap, and moderator roles, each change with a
ledger entry saying who made it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.ledger import sql
from bot.ledger.checks import check_amount, check_period
from bot.ledger.db import Database, transaction
from bot.ledger.models import ServerSettings
from bot.ledger.periods import Period
from bot.money import format_amount

log = logging.getLogger(__name__)

_PER: dict[Period, str] = {"day": "a day", "week": "a week", "month": "a month", "total": "in total"}


def _with_reason(change: str, reason: str) -> str:
    return f"{change}: {reason}" if reason else change


class Settings:
    """The grants and settings part of the `Ledger` (it shares the ledger's database, terms and config
    defaults)."""

    _db: Database
    _config_allowance: int
    _config_period: Period

    if TYPE_CHECKING:  # provided by `Ledger`

        def _now_us(self) -> int: ...
        def _terms(self, guild_id: int, user_id: int | None, now_us: int) -> dict[str, Any]: ...

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
        check_period(period)
        if amount is None:
            change = "own allowance removed; the server default applies"
            statement = "DELETE FROM member_allowances WHERE guild_id = ? AND user_id = ?"
            values: tuple[object, ...] = (guild_id, user_id)
        else:
            check_amount(amount, "an allowance")
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
        check_period(period)
        if amount is None:
            change = "server default removed; the bot's default applies"
            statement = (
                "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO UPDATE"
                " SET default_allowance = NULL, default_period = NULL"
            )
            values: tuple[object, ...] = (guild_id,)
        else:
            check_amount(amount, "a default allowance")
            per = _PER[period] if period else "per period"
            change = f"server default set to {format_amount(amount)} {per}"
            statement = (
                "INSERT INTO guild_settings (guild_id, default_allowance, default_period) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET default_allowance = excluded.default_allowance,"
                " default_period = COALESCE(excluded.default_period, guild_settings.default_period)"
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
        check_period(period)
        if amount is not None:
            check_amount(amount, "a cap")
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
