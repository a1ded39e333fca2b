"""The `Ledger`: a facade over the ledger's parts, each built with the one shared `Context`.

Callers use the `Ledger`'s methods; each is a part's method (documented there), so the facade is only this
list. To add a part, see the package docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.ledger.backends import open_database
from bot.ledger.budgets import Budgets
from bot.ledger.context import Context, Terms
from bot.ledger.db import Database
from bot.ledger.holds import Holds
from bot.ledger.jobs import JobRecords
from bot.ledger.member_settings import MemberSettings
from bot.ledger.periods import Period, utc_now
from bot.ledger.policy import Policy
from bot.ledger.reports import Reports


class Ledger:
    """The budget ledger of every server the bot is in. Open it with `await Ledger.open(...)`.

    `default_allowance` and `default_period` are the config's `[budget]` values, used where neither the
    member nor the server set their own; `operator_cap`/`operator_cap_period` limit all servers together,
    `max_allowance` what moderators can give; `instance_id` names this process (see `Terms`). `clock` returns
    the current aware UTC time (tests control it). Amounts are micro-dollars.
    """

    def __init__(self, db: Database, terms: Terms, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.context = Context(db=db, terms=terms, clock=clock)
        self.holds = Holds(self.context)
        self.budgets = Budgets(self.context)
        self.reports = Reports(self.context)
        self.jobs = JobRecords(self.context)
        self.member_settings = MemberSettings(self.context)
        self.policy = Policy(self.context)

        # Money for jobs.
        self.hold = self.holds.hold
        self.holding = self.holds.holding
        self.request_sent = self.holds.request_sent
        self.answered = self.holds.answered
        self.capture = self.holds.capture
        self.settle = self.holds.settle
        self.uncertain = self.holds.uncertain
        self.release = self.holds.release
        self.recover = self.holds.recover
        # What members and servers may spend.
        self.grant = self.budgets.grant
        self.refund = self.budgets.refund
        self.set_allowance = self.budgets.set_allowance
        self.set_role_allowance = self.budgets.set_role_allowance
        self.role_allowance = self.budgets.role_allowance
        self.set_default = self.budgets.set_default
        self.set_cap = self.budgets.set_cap
        self.server_settings = self.budgets.server_settings
        self.moderator_roles = self.budgets.moderator_roles
        self.set_moderator_roles = self.budgets.set_moderator_roles
        # Reading.
        self.balance = self.reports.balance
        self.report = self.reports.report
        self.usage = self.reports.usage
        self.entries = self.reports.entries
        self.period_entries = self.reports.period_entries
        self.history = self.reports.history
        # Job records and state.
        self.create_job = self.jobs.create_job
        self.finish_job = self.jobs.finish_job
        self.fail_job = self.jobs.fail_job
        self.job = self.jobs.job
        self.find_result = self.jobs.find_result
        self.job_result = self.jobs.job_result
        self.member_jobs = self.jobs.member_jobs
        self.count_member_jobs = self.jobs.count_member_jobs
        self.last_job_started = self.jobs.last_job_started
        self.get_state = self.jobs.get_state
        self.set_state = self.jobs.set_state

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        default_allowance: int,
        default_period: Period,
        clock: Callable[[], datetime] = utc_now,
        operator_cap: int | None = None,
        operator_cap_period: Period = "month",
        max_allowance: int | None = None,
        instance_id: str = "default",
    ) -> Ledger:
        """Connect to the database file (created if missing) and bring its schema up to date."""
        terms = Terms(  # checked before the file is touched
            default_allowance=default_allowance,
            default_period=default_period,
            operator_cap=operator_cap,
            operator_cap_period=operator_cap_period,
            max_allowance=max_allowance,
            instance_id=instance_id,
        )
        db = await open_database(path)  # a postgresql:// URL puts the ledger in PostgreSQL
        return cls(db, terms, clock=clock)

    async def close(self) -> None:
        """Finish what is queued and close the database (safe to call twice)."""
        await self.context.db.close()

    def now(self) -> datetime:
        """The ledger's idea of now (aware UTC; tests move it)."""
        return self.context.clock()
