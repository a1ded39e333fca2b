"""The `Ledger`: budgets, each operation one atomic unit of work. It opens and closes the database and
composes its parts: holds, grants and settings, reading, and job records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.ledger.backends import open_database
from bot.ledger.checks import check_amount, check_period
from bot.ledger.db import Database
from bot.ledger.holds import Holds
from bot.ledger.jobs import JobRecords
from bot.ledger.member_settings import MemberSettings
from bot.ledger.periods import Period, bounds_at, from_us, to_us, utc_now
from bot.ledger.policy import Policy
from bot.ledger.reading import Reading
from bot.ledger.settings import Settings


class Ledger(Holds, Settings, Reading, JobRecords):
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
        check_amount(default_allowance, "the default allowance")
        check_period(default_period)
        self._db = db
        self._clock = clock
        self._config_allowance = default_allowance
        self._config_period: Period = default_period
        self.member_settings = MemberSettings(db)
        self.policy = Policy(db)

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
        check_amount(default_allowance, "the default allowance")
        check_period(default_period)
        db = await open_database(path)  # a postgresql:// URL puts the ledger in PostgreSQL
        return cls(db, default_allowance=default_allowance, default_period=default_period, clock=clock)

    async def close(self) -> None:
        """Finish what is queued and close the database (safe to call twice)."""
        await self._db.close()

    def now(self) -> datetime:
        """The ledger's idea of now (aware UTC; tests move it)."""
        return self._clock()

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
