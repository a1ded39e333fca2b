"""Once the result is posted, the member has what they paid for: the charge and the job's record are each tried
once more when they fail, and a job whose record still fails is marked failed with a clear reason (and what it
cost) at once, instead of staying `running` until the next start. The posted result is never taken back, and the
member is charged exactly what the ledger shows on the job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.jobs.runner import RECORD_FAILED
from bot.ledger import Ledger
from tests.jobs.test_runner import GUILD, MEMBER, TURBO, FakeImageService, FakeOutput, kinds, runner, spec


def failing(times: int, real: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`real`, except that its first `times` calls raise as a locked or full disk would."""
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise OSError("database is locked")
        return await real(*args, **kwargs)

    return flaky


async def the_job(ledger: Ledger) -> Any:
    [(job, _)] = await ledger.member_jobs(GUILD, MEMBER, limit=5)
    return job


async def test_a_record_that_fails_once_is_written_on_the_second_try(
    ledger: Ledger, service: FakeImageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "finish_job", failing(1, ledger.finish_job))
    output = FakeOutput()
    assert await runner(ledger, service).submit(spec(num_images=2), output) == "delivered"
    job = await the_job(ledger)
    assert (job.status, job.cost, job.message_id) == ("succeeded", 2 * TURBO, 999)
    found = await ledger.find_result(999)
    assert found is not None
    assert len(found.images) == 2


async def test_a_record_that_keeps_failing_marks_the_job_failed_with_what_it_cost(
    ledger: Ledger, service: FakeImageService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ledger, "finish_job", failing(2, ledger.finish_job))
    output = FakeOutput()
    with caplog.at_level(logging.WARNING, logger="bot.jobs.runner"):
        assert await runner(ledger, service).submit(spec(), output) == "delivered"
    assert output.calls == ["started", "deliver"]  # the result stays, and no failure is told
    job = await the_job(ledger)
    assert (job.status, job.cost, job.error) == ("failed", TURBO, RECORD_FAILED)
    assert await kinds(ledger) == [("hold", TURBO), ("capture", TURBO)]  # charged exactly what they received
    assert (await ledger.balance(GUILD, MEMBER)).spent == TURBO
    assert [r.levelname for r in caplog.records if r.name == "bot.jobs.runner"] == ["WARNING", "ERROR"]


async def test_a_charge_that_fails_once_is_made_on_the_second_try(
    ledger: Ledger, service: FakeImageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "settle", failing(1, ledger.settle))
    assert await runner(ledger, service).submit(spec(), FakeOutput()) == "delivered"
    assert await kinds(ledger) == [("hold", TURBO), ("capture", TURBO)]
    job = await the_job(ledger)
    assert (job.status, job.cost) == ("succeeded", TURBO)


async def test_a_charge_that_keeps_failing_is_written_off_and_the_job_shows_nothing_charged(
    ledger: Ledger, service: FakeImageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "settle", failing(2, ledger.settle))
    output = FakeOutput()
    assert await runner(ledger, service).submit(spec(), output) == "delivered"
    assert output.calls == ["started", "deliver"]
    assert ("write-off", TURBO) in await kinds(ledger)  # the operator paid; the member keeps the result
    assert (await ledger.balance(GUILD, MEMBER)).spent == 0
    job = await the_job(ledger)
    assert (job.status, job.cost) == ("succeeded", 0)  # the job says what the ledger charged
