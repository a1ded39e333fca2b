"""The cooldown is checked and taken in one step: two jobs a member starts together cannot both pass it, and a job
refused by a later check gives its start back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.jobs.model import JobSpec
from bot.jobs.policy import PolicyGate, PolicyRefused
from bot.ledger import ServerPolicy

GUILD, CHANNEL, MEMBER = 1, 2, 3
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class FakeLedger:
    """Just what the gate reads: the server's policy and when the member's last recorded job started. Every read
    yields to the event loop, as a database read does, so concurrent checks interleave."""

    def __init__(self, cooldown_s: int) -> None:
        self.policy = self
        self._policy = ServerPolicy(GUILD, frozenset(), (), cooldown_s, frozenset(), None)

    async def get(self, guild_id: int) -> ServerPolicy:
        await asyncio.sleep(0)
        return self._policy

    async def last_job_started(self, guild_id: int, user_id: int) -> datetime | None:
        await asyncio.sleep(0)
        return None  # nothing recorded yet: only the gate's own memory knows of a start


def spec() -> JobSpec:
    return JobSpec(GUILD, CHANNEL, MEMBER, "imagine", "generate", {"prompt": "a cat"})


def gate(cooldown_s: int = 60) -> PolicyGate:
    ledger: Any = FakeLedger(cooldown_s)
    return PolicyGate(ledger, clock=lambda: NOW)


async def test_two_jobs_started_together_do_not_both_pass_the_cooldown() -> None:
    policy = gate()
    outcomes = await asyncio.gather(*(policy.check(spec()) for _ in range(2)), return_exceptions=True)
    assert sum(isinstance(outcome, PolicyRefused) for outcome in outcomes) == 1
    assert sum(callable(outcome) for outcome in outcomes) == 1


async def test_a_start_taken_back_lets_the_next_job_pass() -> None:
    policy = gate()
    take_back = await policy.check(spec())
    with pytest.raises(PolicyRefused):
        await policy.check(spec())
    take_back()
    assert callable(await policy.check(spec()))


async def test_taking_back_an_old_start_keeps_a_newer_one() -> None:
    times = iter([NOW, NOW + timedelta(minutes=5)])
    ledger: Any = FakeLedger(60)
    policy = PolicyGate(ledger, clock=lambda: next(times, NOW + timedelta(minutes=5)))
    first = await policy.check(spec())
    await policy.check(spec())  # five minutes later: the cooldown has passed
    first()  # the first job is refused late: the second job's start stands
    with pytest.raises(PolicyRefused):
        await policy.check(spec())
