"""Random sequences of ledger operations against a plain model, checking the ledger's invariants.

After every step: each member's balance equals the model's; remaining is never below zero; the ledger lines
themselves add up to what the balance reports; a hold succeeds exactly when the model says it fits (member
budget and server cap). At the end every hold was captured or released exactly once.

On SQLite and PostgreSQL alike: one database for all of a test's examples (a new PostgreSQL database per example
would be too slow), each example in a server of its own with an instance id of its own, so no example sees
another's money or recovers another's holds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.ledger import PERIODS, BudgetExceeded, Hold, Ledger, Period, period_bounds
from bot.ledger.backends import is_postgres

T = TypeVar("T")
MEMBERS = (11, 12, 13)
MOD = 99
START = datetime(2024, 12, 30, 20, tzinfo=UTC)  # a Monday evening, two days before a new month and year


@dataclass
class ModelHold:
    member: int
    amount: int
    window: datetime  # the start of the period it counts in
    settled: bool = False


@dataclass
class ModelLine:
    kind: str
    member: int
    amount: int
    window: datetime


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    # Set by the test: the database every example shares, and server ids no earlier example used.
    location: ClassVar[Path | str]
    guilds: ClassVar[Iterator[int]]

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.guild = next(self.guilds)
        self.now = START
        self.ledger: Ledger | None = None
        self.period: Period = "month"
        self.allowances: dict[int, int] = {}
        self.default_allowance = 0
        self.cap: int | None = None
        self.lines: list[ModelLine] = []
        self.model_holds: dict[int, ModelHold] = {}

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    @property
    def db(self) -> Ledger:
        assert self.ledger is not None
        return self.ledger

    def window(self, at: datetime | None = None) -> datetime:
        return period_bounds(self.period, at or self.now)[0]

    # -- the model ---------------------------------------------------------------------------------

    def totals(self, member: int | None) -> tuple[int, int, int]:
        """(spent, held, granted) in the current window, for one member or (None) the whole server."""
        window = self.window()
        spent = sum(
            line.amount
            for line in self.lines
            if line.kind == "capture" and line.window == window and member in (None, line.member)
        )
        held = sum(
            hold.amount
            for hold in self.model_holds.values()
            if not hold.settled and hold.window == window and member in (None, hold.member)
        )
        granted = sum(
            line.amount
            for line in self.lines
            if line.kind == "grant" and line.window == window and member in (None, line.member)
        )
        return spent, held, granted

    def model_remaining(self, member: int) -> int:
        spent, held, granted = self.totals(member)
        return self.allowances.get(member, self.default_allowance) + granted - spent - held

    # -- rules -------------------------------------------------------------------------------------

    @initialize(
        period=st.sampled_from(PERIODS),
        default_allowance=st.integers(0, 2_000_000),
    )
    def open_ledger(self, period: Period, default_allowance: int) -> None:
        self.period = period
        self.default_allowance = default_allowance
        self.ledger = self.run(
            Ledger.open(
                self.location,
                default_allowance=default_allowance,
                default_period=period,
                clock=lambda: self.now,
                instance_id=f"example-{self.guild}",
            )
        )

    @rule(target=holds, member=st.sampled_from(MEMBERS), amount=st.integers(0, 800_000))
    def hold(self, member: int, amount: int) -> Any:
        fits_member = amount == 0 or self.model_remaining(member) >= amount
        fits_cap = amount == 0 or self.cap is None or self.cap - sum(self.totals(None)[:2]) >= amount
        refused: BudgetExceeded | None = None
        try:
            hold = self.run(self.db.hold(guild_id=self.guild, user_id=member, amount=amount, job_id=None))
        except BudgetExceeded as error:
            refused = error
        if refused is not None:
            assert not (fits_member and fits_cap), "refused a hold that fits"
            assert refused.scope == ("member" if not fits_member else "server")
            assert 0 <= refused.remaining < amount
            return multiple()
        assert fits_member, "held more than the member has left"
        assert fits_cap, "held more than the server cap has left"
        self.model_holds[hold.id] = ModelHold(member, amount, self.window())
        return hold

    @rule(hold=consumes(holds), share=st.fractions(0, 1))
    def capture(self, hold: Hold, share: Any) -> None:
        amount = int(hold.amount * share)
        self.run(self.db.capture(hold, amount))
        model = self.model_holds[hold.id]
        model.settled = True
        self.lines.append(ModelLine("capture", hold.user_id, amount, model.window))

    @rule(hold=consumes(holds))
    def release(self, hold: Hold) -> None:
        assert self.run(self.db.release(hold, "test"))
        self.model_holds[hold.id].settled = True

    @rule(member=st.sampled_from(MEMBERS), amount=st.integers(-1_000_000, 1_000_000))
    def grant(self, member: int, amount: int) -> None:
        self.run(self.db.grant(guild_id=self.guild, user_id=member, amount=amount, actor_id=MOD, reason="rule"))
        self.lines.append(ModelLine("grant", member, amount, self.window()))

    @rule(member=st.sampled_from(MEMBERS), amount=st.integers(0, 2_000_000))
    def set_allowance(self, member: int, amount: int) -> None:
        self.run(self.db.set_allowance(guild_id=self.guild, user_id=member, amount=amount, actor_id=MOD))
        self.allowances[member] = amount

    @rule(amount=st.none() | st.integers(0, 3_000_000))
    def set_cap(self, amount: int | None) -> None:
        self.run(self.db.set_cap(guild_id=self.guild, amount=amount, period=self.period, actor_id=MOD))
        self.cap = amount

    @rule(hours=st.integers(1, 24 * 12))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    # -- invariants --------------------------------------------------------------------------------

    @invariant()
    @precondition(lambda self: self.ledger is not None)
    def balances_match_the_model_and_the_ledger_lines(self) -> None:
        entries = self.run(self.db.entries(self.guild))
        window = self.window()
        for member in MEMBERS:
            balance = self.run(self.db.balance(self.guild, member))
            spent, held, granted = self.totals(member)
            allowance = self.allowances.get(member, self.default_allowance)
            assert (balance.spent, balance.held, balance.granted, balance.allowance) == (
                spent,
                held,
                granted,
                allowance,
            )
            assert balance.remaining == max(0, allowance + granted - spent - held) >= 0
            assert balance.period_start == window

            # The same numbers straight from the ledger lines of this period.
            mine = [e for e in entries if e.user_id == member and e.period_start == window]
            hold_lines = sum(e.amount for e in mine if e.kind == "hold")
            captured = sum(e.amount for e in mine if e.kind == "capture")
            settled_holds = {e.hold_id for e in mine if e.kind in ("capture", "release")}
            settled_amount = sum(e.amount for e in mine if e.kind == "hold" and e.id in settled_holds)
            assert captured == balance.spent
            assert hold_lines - settled_amount == balance.held
            assert sum(e.amount for e in mine if e.kind == "grant") == balance.granted

    def teardown(self) -> None:
        try:
            if self.ledger is not None:
                open_holds = sum(1 for hold in self.model_holds.values() if not hold.settled)
                assert self.run(self.db.recover()) == open_holds
                entries = self.run(self.db.entries(self.guild))
                holds = {e.id for e in entries if e.kind == "hold"}
                settlements = [e.hold_id for e in entries if e.kind in ("capture", "release")]
                assert sorted(settlements) == sorted(holds)  # each hold settled exactly once
                self.run(self.db.close())
        finally:
            self.runner.close()


def test_ledger_operations_keep_their_invariants(db_path: Path | str) -> None:
    class Machine(LedgerMachine):
        location = db_path
        guilds = itertools.count(1)

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=20 if is_postgres(db_path) else 60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
