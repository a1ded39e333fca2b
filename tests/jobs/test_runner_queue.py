"""A job waiting in the bot's own line for the API's limit (`[ideogram] max_concurrency`) has sent nothing: the
ledger records `request_sent` only once the job has its room and the request leaves. So a job cancelled (or cut
off by a crash) while it waits is released, never `uncertain`: the operator owes nothing for it.

The real client against the fake image service, with both ways of counting the limit: in this process
(`ImageLimiter`) and across processes in PostgreSQL (`DatabaseSlots`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.ideogram import IdeogramClient
from bot.ideogram.limiter import ImageLimiter, QueueCallback
from bot.jobs import JobRunner
from bot.jobs.runner import Stopped
from bot.ledger import Ledger
from bot.ledger.pg import open_pool
from bot.ledger.slots import DatabaseSlots
from bot.pricing import PriceTable
from bot.slots import SlotProvider
from tests.fakes.ideogram import FakeIdeogram
from tests.jobs.test_runner import GUILD, TURBO, FakeOutput, kinds, spec


class QueueOutput(FakeOutput):
    """A `FakeOutput` that lets the test wait until the job shows a place in line."""

    def __init__(self) -> None:
        super().__init__()
        self.queued = asyncio.Event()

    async def progress(self, *, position: int | None, estimate: int, settings: str = "") -> None:
        if position:
            self.queued.set()


@pytest.fixture(params=["process", "postgres"])
def slots_url(request: pytest.FixtureRequest) -> str | None:
    """Where the API's limit is counted: in this process (None), or in a PostgreSQL database of its own."""
    return None if request.param == "process" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def slots(slots_url: str | None) -> AsyncIterator[SlotProvider]:
    """Room for one image at the API, counted in this process or in PostgreSQL."""
    if slots_url is None:
        yield ImageLimiter(1)
        return
    url = slots_url
    pool = await open_pool(url, max_size=4)
    shared = DatabaseSlots(pool, url, capacity=1, instance_id="shards 0 of 1", poll_s=0.1)
    await shared.start()
    yield shared
    await shared.close()
    await pool.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdeogram]:
    async with FakeIdeogram() as started:
        yield started


@pytest.fixture
async def client(fake: FakeIdeogram, slots: SlotProvider) -> AsyncIterator[IdeogramClient]:
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, slots=slots, max_retries=0) as started:
        yield started


def runner(ledger: Ledger, client: IdeogramClient) -> JobRunner:
    return JobRunner(client=client, ledger=ledger, prices=PriceTable(), max_jobs_per_member=2, max_upload_bytes=10**7)


async def queued_job(ledger: Ledger, client: IdeogramClient) -> tuple[asyncio.Task[Any], QueueOutput]:
    """A job started while the only slot is taken, once it shows its place in line."""
    output = QueueOutput()
    task = asyncio.create_task(runner(ledger, client).submit(spec(), output))
    queued = asyncio.create_task(output.queued.wait())
    await asyncio.wait([task, queued], return_when=asyncio.FIRST_COMPLETED)
    assert not task.done(), "the job should wait for the slot"
    return task, output


async def test_a_job_waiting_in_line_has_sent_nothing(
    ledger: Ledger, client: IdeogramClient, slots: SlotProvider, fake: FakeIdeogram
) -> None:
    async with slots.hold(1):
        task, _ = await queued_job(ledger, client)
        [job] = await ledger.member_jobs(GUILD, spec().user_id, limit=1)
        assert job[0].request_sent_at is None  # a crash now is released at the next start, not uncertain
        assert fake.api_requests == []
    assert await task == "delivered"
    [job] = await ledger.member_jobs(GUILD, spec().user_id, limit=1)
    assert job[0].request_sent_at is not None
    assert await kinds(ledger) == [("hold", TURBO), ("capture", TURBO)]


async def test_a_job_cancelled_while_waiting_in_line_is_released_not_uncertain(
    ledger: Ledger, client: IdeogramClient, slots: SlotProvider, fake: FakeIdeogram
) -> None:
    async with slots.hold(1):
        task, output = await queued_job(ledger, client)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert fake.api_requests == []
    assert await kinds(ledger) == [("hold", TURBO), ("release", TURBO)]
    [(_, error, charged)] = output.errors
    assert isinstance(error, Stopped)
    assert charged == 0


async def test_recovery_after_a_crash_in_line_releases_the_hold(
    ledger: Ledger, client: IdeogramClient, slots: SlotProvider
) -> None:
    async with slots.hold(1):
        task, _ = await queued_job(ledger, client)
        # The next start of a bot that died here: it settles this instance's open holds by how far they got.
        assert await ledger.recover() == 1
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert ("uncertain", TURBO) not in await kinds(ledger)
    assert await kinds(ledger) == [("hold", TURBO), ("release", TURBO)]


class Unreported:
    """A limit whose line is slow to say where a request stands (DatabaseSlots queues it in PostgreSQL first)."""

    def __init__(self, slots: SlotProvider) -> None:
        self.slots = slots
        self.entered = asyncio.Event()
        self.state = slots.state

    def clamp(self, weight: int) -> int:
        return self.slots.clamp(weight)

    @asynccontextmanager
    async def hold(self, weight: int, on_queue: QueueCallback | None = None) -> AsyncIterator[None]:
        self.entered.set()
        await asyncio.Event().wait()  # until cancelled: never granted, never reported
        async with self.slots.hold(weight, on_queue):
            yield


async def test_a_job_cancelled_before_the_line_reports_its_place_is_released(
    ledger: Ledger, fake: FakeIdeogram, slots: SlotProvider
) -> None:
    unreported = Unreported(slots)
    async with IdeogramClient(base_url=fake.base_url, api_key=fake.api_key, slots=unreported) as client:
        task = asyncio.create_task(runner(ledger, client).submit(spec(), FakeOutput()))
        entered = asyncio.create_task(unreported.entered.wait())
        await asyncio.wait([task, entered], return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await kinds(ledger) == [("hold", TURBO), ("release", TURBO)]
