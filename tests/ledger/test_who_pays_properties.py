"""Random sequences of jobs with random outcomes against a simulated provider's bill.

Each job holds its worst case in one of two servers, then: succeeds (some images maybe withheld as unsafe,
which the member pays for), loses some downloads (written off), times out at the API (uncertain), or the
process dies (the next start recovers: released, uncertain or written off by how far the request got).
Moderators refund some jobs. After every step: Σ capture + Σ write-off + Σ uncertain equals what the
provider billed (refunds return money to members, not from the provider), each member's spend is
Σ capture − Σ refund, and no member allowance, server cap or operator cap is exceeded; a hold is refused
exactly when one of them has too little left.

On SQLite and PostgreSQL alike: one database for all of a test's examples (a new PostgreSQL database per example
would be too slow). Each example takes two servers and an instance id no earlier example used; the operator's cap
spans every server, so each example sets it that far above what the earlier ones paid.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ledger import BudgetExceeded, Entry, Hold, Ledger
from bot.ledger.backends import is_postgres

T = TypeVar("T")
PRICE = 30_000
MEMBERS = (11, 12)
MOD = 99
NOW = datetime(2025, 6, 3, 12, tzinfo=UTC)
Outcome = Literal["success", "unsafe", "download", "timeout", "crash-before", "crash-sent", "crash-answered"]


@dataclass(frozen=True)
class Job:
    server: int  # which of the example's two servers: 0 or 1
    member: int
    images: int
    outcome: Outcome
    lost: int  # images withheld (unsafe) or not delivered (download), at most `images`
    refund: bool


@dataclass(frozen=True)
class Limits:
    allowance: int
    caps: tuple[int | None, int | None]
    operator_cap: int | None


jobs = st.builds(
    Job,
    server=st.sampled_from((0, 1)),
    member=st.sampled_from(MEMBERS),
    images=st.integers(1, 4),
    outcome=st.sampled_from(Outcome.__args__),  # type: ignore[attr-defined]
    lost=st.integers(0, 4),
    refund=st.booleans(),
)
amounts = st.integers(0, 40).map(lambda n: n * PRICE // 2)
limits = st.builds(
    Limits,
    allowance=amounts,
    caps=st.tuples(st.none() | amounts, st.none() | amounts),
    operator_cap=st.none() | amounts,
)


@dataclass
class Deployment:
    """The database a test's examples share, one event loop for all of them, and the servers handed out."""

    location: Path | str
    runner: asyncio.Runner = field(default_factory=asyncio.Runner)
    servers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    async def paid_so_far(self) -> int:
        """What the provider was paid for every server's jobs: what earlier examples put under the operator's
        cap (each settled its holds before the next started)."""
        ledger = await Ledger.open(self.location, default_allowance=0, default_period="total", clock=lambda: NOW)
        try:
            return (await ledger.usage())[-1].paid
        finally:
            await ledger.close()


class Simulation:
    def __init__(self, deployment: Deployment, limits: Limits) -> None:
        self.deployment = deployment
        self.limits = limits
        self.guilds = (next(deployment.servers), next(deployment.servers))
        self.instance_id = f"example-{self.guilds[0]}"
        self.billed = 0
        cap = limits.operator_cap
        self.operator_cap = None if cap is None else cap + self.run(deployment.paid_so_far())
        self.ledger = self.run(self.open())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.deployment.run(coroutine)

    async def open(self) -> Ledger:
        return await Ledger.open(
            self.deployment.location,
            default_allowance=self.limits.allowance,
            default_period="total",
            clock=lambda: NOW,
            operator_cap=self.operator_cap,
            operator_cap_period="total",
            instance_id=self.instance_id,
        )

    async def setup(self) -> None:
        for guild, cap in zip(self.guilds, self.limits.caps, strict=True):
            await self.ledger.set_cap(guild_id=guild, amount=cap, period="total", actor_id=MOD)

    async def finish(self) -> None:
        """Settle whatever a failed example left open (so the next one starts from settled books) and close."""
        try:
            await self.ledger.recover()
        finally:
            await self.ledger.close()

    # -- what the ledger's lines say ---------------------------------------------------------------------

    async def lines(self) -> list[Entry]:
        return [entry for guild in self.guilds for entry in await self.ledger.entries(guild)]

    async def check(self) -> None:
        lines = await self.lines()
        paid = sum(e.amount for e in lines if e.kind in ("capture", "write-off", "uncertain"))
        assert paid == self.billed, "the ledger disagrees with the provider's bill"
        held = _open_held(lines)
        operator_cap = self.limits.operator_cap
        assert operator_cap is None or paid + sum(held.values()) <= operator_cap
        for guild, cap in zip(self.guilds, self.limits.caps, strict=True):
            mine = [e for e in lines if e.guild_id == guild]
            server_paid = sum(e.amount for e in mine if e.kind in ("capture", "write-off", "uncertain"))
            server_held = sum(amount for (g, _), amount in held.items() if g == guild)
            assert cap is None or server_paid + server_held <= cap
            for member in MEMBERS:
                spent = _spent(mine, member)
                balance = await self.ledger.balance(guild, member)
                assert balance.spent == spent
                assert spent + held.get((guild, member), 0) <= self.limits.allowance

    async def fits(self, job: Job, amount: int) -> bool:
        lines = await self.lines()
        held = _open_held(lines)
        paid = sum(e.amount for e in lines if e.kind in ("capture", "write-off", "uncertain"))
        guild = self.guilds[job.server]
        mine = [e for e in lines if e.guild_id == guild]
        server_paid = sum(e.amount for e in mine if e.kind in ("capture", "write-off", "uncertain"))
        server_held = sum(a for (g, _), a in held.items() if g == guild)
        cap = self.limits.caps[job.server]
        operator_cap = self.limits.operator_cap
        return amount == 0 or (
            _spent(mine, job.member) + held.get((guild, job.member), 0) + amount <= self.limits.allowance
            and (cap is None or server_paid + server_held + amount <= cap)
            and (operator_cap is None or paid + sum(held.values()) + amount <= operator_cap)
        )

    # -- one job -----------------------------------------------------------------------------------------

    async def job(self, job: Job) -> None:
        ledger = self.ledger
        guild = self.guilds[job.server]
        job_id = await ledger.create_job(
            guild_id=guild,
            channel_id=5,
            user_id=job.member,
            command="imagine",
            operation="generate",
            parameters={},
            prompt="p",
        )
        amount = job.images * PRICE
        fits = await self.fits(job, amount)
        if job.outcome.startswith("crash"):
            await self.crash(job, job_id, amount, fits)
            return
        try:
            async with ledger.holding(guild_id=guild, user_id=job.member, amount=amount, job_id=job_id) as hold:
                assert fits, "held more than a limit has left"
                await self.call(job, hold, amount)
        except BudgetExceeded:
            assert not fits, "refused a hold that fits"
            return
        except TimeoutError:
            pass
        if job.refund:
            await self.refund(job_id)

    async def call(self, job: Job, hold: Hold, amount: int) -> None:
        ledger = self.ledger
        await ledger.request_sent(hold)
        if job.outcome == "timeout":
            self.billed += amount  # the provider may have run it: the uncertain entry assumes it did
            raise TimeoutError
        self.billed += amount
        await ledger.answered(hold, amount)
        lost = min(job.lost, job.images) * PRICE
        if job.outcome == "download":
            await ledger.settle(hold, charged=amount - lost, written_off=lost)
        else:  # unsafe images are the member's: charged with the rest
            await ledger.settle(hold, charged=amount, written_off=0)

    async def crash(self, job: Job, job_id: int, amount: int, fits: bool) -> None:
        try:
            hold = await self.ledger.hold(
                guild_id=self.guilds[job.server], user_id=job.member, amount=amount, job_id=job_id
            )
        except BudgetExceeded:
            assert not fits, "refused a hold that fits"
            return
        assert fits, "held more than a limit has left"
        if job.outcome != "crash-before":
            await self.ledger.request_sent(hold)
            self.billed += amount  # sent: the provider bills it (and the ledger must say so after recovery)
        if job.outcome == "crash-answered":
            await self.ledger.answered(hold, amount)
        await self.ledger.close()  # the process dies; the next one recovers its holds
        self.ledger = await self.open()
        assert await self.ledger.recover() == 1

    async def refund(self, job_id: int) -> None:
        record = await self.ledger.job(job_id)
        assert record is not None
        lines = [e for e in await self.ledger.entries(record.guild_id) if e.job_id == job_id]
        if any(e.kind == "capture" and e.amount for e in lines):
            await self.ledger.refund(job_id, actor_id=MOD)


def _open_held(lines: list[Entry]) -> dict[tuple[int, int], int]:
    """What open holds still reserve, per (server, member)."""
    left: dict[int, int] = {}
    owner: dict[int, tuple[int, int]] = {}
    for e in lines:
        if e.kind == "hold":
            left[e.id] = e.amount
            owner[e.id] = (e.guild_id, e.user_id or 0)
        elif e.kind == "write-off" and e.hold_id is not None:
            left[e.hold_id] -= e.amount
        elif e.kind in ("capture", "release", "uncertain") and e.hold_id is not None:
            del left[e.hold_id]
    held: dict[tuple[int, int], int] = {}
    for hold_id, amount in left.items():
        held[owner[hold_id]] = held.get(owner[hold_id], 0) + amount
    return held


def _spent(lines: list[Entry], member: int) -> int:
    captured = sum(e.amount for e in lines if e.kind == "capture" and e.user_id == member)
    return captured - sum(e.amount for e in lines if e.kind == "refund" and e.user_id == member)


def test_the_ledger_matches_the_providers_bill_and_no_limit_is_passed(db_path: Path | str) -> None:
    deployment = Deployment(db_path)

    @settings(
        max_examples=25 if is_postgres(db_path) else 40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(limits=limits, sequence=st.lists(jobs, max_size=20))
    def check(limits: Limits, sequence: list[Job]) -> None:
        simulation = Simulation(deployment, limits)
        try:
            simulation.run(simulation.setup())
            for job in sequence:
                simulation.run(simulation.job(job))
                simulation.run(simulation.check())
            paid = [simulation.run(simulation.ledger.usage(None, guild))[-1].paid for guild in simulation.guilds]
            assert sum(paid) == simulation.billed
        finally:
            simulation.run(simulation.finish())

    try:
        check()
    finally:
        deployment.runner.close()
