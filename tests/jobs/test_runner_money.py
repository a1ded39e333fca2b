"""Over random sequences of jobs with random outcomes, the ledger adds up to the provider's bill:
Σ capture + Σ write-off + Σ uncertain = what the fake image service billed (a request whose outcome is unknown
counted at its worst case), the member pays only for results they received, and never past their allowance.

On SQLite and PostgreSQL alike: one database for all of a test's examples (a new PostgreSQL database per example
would be too slow), each example in a server and under an instance id of its own."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ideogram import DownloadFailed, GenerationResponse, RequestTimedOut, SafetyRejected
from bot.ledger import Ledger
from tests.jobs.test_runner import MEMBER, TURBO, FakeImageService, FakeOutput, runner, spec

OUTCOMES = ("ok", "unsafe", "refused", "timeout", "download", "deliver", "cancel")
ALLOWANCE = 300_000  # ten TURBO images: some jobs are refused for the budget along the way


class BillingService(FakeImageService):
    """The fake image service with a bill: what the provider would charge the operator for each request."""

    def __init__(self) -> None:
        super().__init__()
        self.billed = 0
        self.outcome = "ok"

    async def execute(self, request, *, on_queue=None, on_sent=None):  # type: ignore[no-untyped-def]
        self.fail = {"refused": SafetyRejected(), "timeout": RequestTimedOut()}.get(self.outcome)
        self.unsafe = {0} if self.outcome == "unsafe" else set()
        self.hold_reply = self.outcome == "cancel"
        if self.outcome != "refused":  # a timeout or a cut-off request may have run: counted at its worst
            self.billed += TURBO * request.num_images
        return await super().execute(request, on_queue=on_queue, on_sent=on_sent)

    async def download(self, response: GenerationResponse):  # type: ignore[no-untyped-def]
        if self.outcome == "download":
            raise DownloadFailed()
        return await super().download(response)


async def scenario(jobs: list[tuple[str, int]], location: Path | str, guild: int) -> None:
    ledger = await Ledger.open(
        location, default_allowance=ALLOWANCE, default_period="month", instance_id=f"example-{guild}"
    )
    try:
        service = BillingService()
        jobs_runner = runner(ledger, service, max_jobs_per_member=1)
        received = 0
        for outcome, images in jobs:
            service.outcome = outcome
            service.at_api.clear()
            output = FakeOutput(deliver_error=RuntimeError("Discord said no") if outcome == "deliver" else None)
            task = asyncio.create_task(jobs_runner.submit(spec(guild, num_images=images), output))
            if outcome == "cancel":  # cut off at the API (a job refused for its budget never gets there)
                at_api = asyncio.create_task(service.at_api.wait())
                await asyncio.wait([task, at_api], return_when=asyncio.FIRST_COMPLETED)
                at_api.cancel()
                task.cancel()
            end = await asyncio.gather(task, return_exceptions=True)
            if end == ["delivered"]:
                received += TURBO * images
        entries = await ledger.entries(guild)
        total = {
            kind: sum(e.amount for e in entries if e.kind == kind) for kind in ("capture", "write-off", "uncertain")
        }
        assert total["capture"] + total["write-off"] + total["uncertain"] == service.billed
        balance = await ledger.balance(guild, MEMBER)
        assert (balance.spent, balance.held) == (received, 0)
        assert balance.spent <= ALLOWANCE
    finally:
        await ledger.close()


def test_the_ledger_adds_up_to_the_providers_bill(db_path: Path | str) -> None:
    guilds = itertools.count(1)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(OUTCOMES), st.integers(1, 4)), max_size=8))
    def check(jobs: list[tuple[str, int]]) -> None:
        asyncio.run(scenario(jobs, db_path, next(guilds)))

    check()
