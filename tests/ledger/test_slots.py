"""`[ideogram] max_concurrency` across processes: API slots counted in PostgreSQL (`DatabaseSlots`).

Each `DatabaseSlots` here stands for one bot process; they share one real PostgreSQL database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.ideogram.limiter import LimiterState
from bot.ledger.pg import open_pool
from bot.ledger.slots import DatabaseSlots


class Processes:
    """Opens `DatabaseSlots` like separate processes would (each its own pool); closes them all."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[tuple[DatabaseSlots, Any]] = []

    async def start(self, instance_id: str, *, capacity: int = 3, lease_s: float = 30.0) -> DatabaseSlots:
        pool = await open_pool(self.url, max_size=4)
        slots = DatabaseSlots(pool, self.url, capacity=capacity, instance_id=instance_id, lease_s=lease_s, poll_s=0.1)
        await slots.start()
        self.opened.append((slots, pool))
        return slots

    async def crash(self, slots: DatabaseSlots) -> None:
        """Stop a process without releasing anything it holds (its rows stay until they expire)."""
        pool = next(p for s, p in self.opened if s is slots)
        self.opened.remove((slots, pool))
        await slots.close()
        pool.terminate()

    async def close(self) -> None:
        for slots, pool in self.opened:
            await slots.close()
            await pool.close()


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[Processes]:
    opened = Processes(postgres_url)
    yield opened
    await opened.close()


class Meter:
    """Images in flight across every holder, and the most there ever were."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.changed = asyncio.Condition()

    async def add(self, images: int) -> None:
        async with self.changed:
            self.in_flight += images
            self.peak = max(self.peak, self.in_flight)
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(20), self.changed:
            await self.changed.wait_for(predicate)


async def test_processes_together_never_exceed_the_limit(processes: Processes) -> None:
    first, second = await processes.start("shards 0 of 2"), await processes.start("shards 1 of 2")
    meter, gate = Meter(), asyncio.Event()

    async def job(slots: DatabaseSlots, images: int) -> None:
        async with slots.hold(images):
            await meter.add(images)
            await gate.wait()
            await meter.add(-images)

    weights = [1] * 8  # (weighted requests: the next test)
    tasks = [asyncio.create_task(job(first if i % 2 else second, w)) for i, w in enumerate(weights)]
    await meter.wait_for(lambda: meter.in_flight == 3)  # the limit is reached...
    gate.set()  # ...then everything may finish, in waves
    await asyncio.gather(*tasks)
    assert meter.peak == 3
    assert meter.in_flight == 0
    assert first.state.in_flight == second.state.in_flight == 0


async def test_waiting_requests_are_served_in_arrival_order_across_processes(processes: Processes) -> None:
    first, second = await processes.start("a"), await processes.start("b")
    positions: dict[str, list[int]] = {"b": [], "a": []}
    queued = {"b": asyncio.Event(), "a": asyncio.Event()}
    order: list[str] = []
    entered, release = asyncio.Event(), asyncio.Event()

    async def blocker() -> None:
        async with first.hold(3):
            entered.set()
            await release.wait()

    async def waiter(name: str, slots: DatabaseSlots, images: int) -> None:
        async def on_queue(position: int) -> None:
            positions[name].append(position)
            queued[name].set()

        async with slots.hold(images, on_queue):
            order.append(name)

    holding = asyncio.create_task(blocker())
    await entered.wait()
    b = asyncio.create_task(waiter("b", second, 2))
    await queued["b"].wait()
    a = asyncio.create_task(waiter("a", first, 2))
    await queued["a"].wait()
    assert first.state == LimiterState(in_flight=3, waiting=1, capacity=3)
    release.set()
    await asyncio.gather(holding, b, a)
    assert order == ["b", "a"]  # 2 + 2 > 3: strictly one after the other, the first to ask first
    assert positions["b"] == [1, 0]
    # a was #2 behind b; it may see #1 or be granted straight away if b came and went between two looks
    assert positions["a"] in ([2, 1, 0], [2, 0])


async def test_a_crashed_process_frees_its_images_when_its_leases_expire(processes: Processes) -> None:
    doomed = await processes.start("shards 0 of 2", lease_s=0.5)
    survivor = await processes.start("shards 1 of 2")
    entered = asyncio.Event()
    never = asyncio.Event()

    async def stuck() -> None:
        async with doomed.hold(3):
            entered.set()
            await never.wait()

    task = asyncio.create_task(stuck())
    await entered.wait()
    await processes.crash(doomed)  # nothing released, nothing renewed any more
    task.cancel()
    async with asyncio.timeout(20), survivor.hold(3):
        assert survivor.state.in_flight == 3


async def test_a_restarted_process_frees_what_its_earlier_run_left_at_once(processes: Processes) -> None:
    old = await processes.start("shards 0 of 2")  # leases last 30 s
    survivor = await processes.start("shards 1 of 2")
    entered, never = asyncio.Event(), asyncio.Event()

    async def stuck() -> None:
        async with old.hold(3):
            entered.set()
            await never.wait()

    task = asyncio.create_task(stuck())
    await entered.wait()
    await processes.crash(old)
    task.cancel()
    queued = asyncio.Event()
    waiting = asyncio.create_task(_hold_once(survivor, 1, queued))
    await queued.wait()
    await processes.start("shards 0 of 2")  # the same shard set again
    async with asyncio.timeout(20):
        await waiting


async def _hold_once(slots: DatabaseSlots, images: int, queued: asyncio.Event | None = None) -> None:
    async def on_queue(position: int) -> None:
        if queued is not None and position:
            queued.set()

    async with slots.hold(images, on_queue):
        pass


async def test_a_request_cancelled_while_waiting_leaves_its_place(processes: Processes) -> None:
    slots = await processes.start("a", capacity=1)
    entered, release, queued = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def blocker() -> None:
        async with slots.hold(1):
            entered.set()
            await release.wait()

    holding = asyncio.create_task(blocker())
    await entered.wait()
    cancelled = asyncio.create_task(_hold_once(slots, 1, queued))
    await queued.wait()
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    later = asyncio.create_task(_hold_once(slots, 1))
    release.set()
    async with asyncio.timeout(20):
        await asyncio.gather(holding, later)
    assert slots.state.in_flight == 0
    assert await slots._pool.fetchval("SELECT count(*) FROM api_leases") == 0
