"""The images-in-flight limiter: weighted, strictly first come first served, positions reported, cancel-safe.

Synchronisation is by events set from inside the limiter's own callbacks and from the holders; nothing sleeps.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.ideogram.limiter import ImageLimiter, LimiterState


class Holder:
    """A task that takes `weight` permits, records when it got them, and holds them until told to let go."""

    def __init__(self, limiter: ImageLimiter, name: str, weight: int, log: list[str]) -> None:
        self.name = name
        self.positions: list[int] = []
        self.queued = asyncio.Event()
        self.acquired = asyncio.Event()
        self.release = asyncio.Event()
        self._moved = asyncio.Event()
        self.task = asyncio.create_task(self._run(limiter, weight, log))

    async def _on_queue(self, position: int) -> None:
        self.positions.append(position)
        self.queued.set()
        self._moved.set()

    async def _run(self, limiter: ImageLimiter, weight: int, log: list[str]) -> None:
        async with limiter.hold(weight, self._on_queue):
            log.append(self.name)
            self.acquired.set()
            await self.release.wait()

    async def moved(self) -> None:
        """Wait for the next position report."""
        self._moved.clear()
        await self._moved.wait()

    async def finish(self) -> None:
        self.release.set()
        await self.task


async def test_requests_within_capacity_run_at_once() -> None:
    limiter, log = ImageLimiter(10), []
    a, b = Holder(limiter, "a", 4, log), Holder(limiter, "b", 6, log)
    await a.acquired.wait()
    await b.acquired.wait()
    assert limiter.state == LimiterState(in_flight=10, waiting=0, capacity=10)
    assert a.positions == b.positions == []
    await a.finish()
    await b.finish()
    assert limiter.state == LimiterState(in_flight=0, waiting=0, capacity=10)


async def test_first_come_first_served_even_when_a_later_one_would_fit() -> None:
    limiter, log = ImageLimiter(10), []
    big = Holder(limiter, "big", 8, log)
    await big.acquired.wait()
    second = Holder(limiter, "second", 4, log)  # does not fit: waits first
    await second.queued.wait()
    third = Holder(limiter, "third", 1, log)  # would fit (8+1), but must not jump the queue
    await third.queued.wait()
    assert (second.positions, third.positions) == ([1], [2])
    assert limiter.state == LimiterState(in_flight=8, waiting=2, capacity=10)
    assert log == ["big"]

    await big.finish()
    await second.acquired.wait()
    await third.acquired.wait()
    assert log == ["big", "second", "third"]
    assert limiter.state.in_flight == 5
    await second.finish()
    await third.finish()
    assert limiter.state == LimiterState(in_flight=0, waiting=0, capacity=10)


async def test_positions_are_reported_again_when_they_change() -> None:
    limiter, log = ImageLimiter(2), []
    running = Holder(limiter, "running", 2, log)
    await running.acquired.wait()
    waiters = [Holder(limiter, f"w{i}", 2, log) for i in range(3)]
    for waiter in waiters:
        await waiter.queued.wait()
    assert [w.positions for w in waiters] == [[1], [2], [3]]

    moved = [asyncio.create_task(w.moved()) for w in waiters[1:]]
    await running.finish()  # w0 runs; w1 and w2 move up
    await waiters[0].acquired.wait()
    await asyncio.gather(*moved)
    assert [w.positions for w in waiters] == [[1, 0], [2, 1], [3, 2]]  # 0: w0's turn came
    for waiter in waiters:
        await waiter.finish()
    assert log == ["running", "w0", "w1", "w2"]


async def test_cancelling_a_waiter_leaks_nothing_and_moves_the_others_up() -> None:
    limiter, log = ImageLimiter(3), []
    running = Holder(limiter, "running", 3, log)
    await running.acquired.wait()
    doomed = Holder(limiter, "doomed", 2, log)
    await doomed.queued.wait()
    behind = Holder(limiter, "behind", 1, log)
    await behind.queued.wait()

    moved = asyncio.create_task(behind.moved())
    doomed.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed.task
    await moved
    assert behind.positions == [2, 1]
    assert limiter.state == LimiterState(in_flight=3, waiting=1, capacity=3)

    await running.finish()
    await behind.acquired.wait()
    assert behind.positions == [2, 1, 0]
    await behind.finish()
    assert limiter.state == LimiterState(in_flight=0, waiting=0, capacity=3)
    assert log == ["running", "behind"]


async def test_cancelling_the_head_lets_smaller_followers_that_fit_run() -> None:
    limiter, log = ImageLimiter(10), []
    running = Holder(limiter, "running", 6, log)
    await running.acquired.wait()
    head = Holder(limiter, "head", 8, log)
    await head.queued.wait()
    small = Holder(limiter, "small", 4, log)
    await small.queued.wait()
    head.task.cancel()
    await small.acquired.wait()  # 6 + 4 fits once the head is gone
    assert limiter.state == LimiterState(in_flight=10, waiting=0, capacity=10)
    await running.finish()
    await small.finish()
    assert limiter.state.in_flight == 0


async def test_cancelled_after_being_granted_but_before_running_gives_permits_back() -> None:
    limiter, log = ImageLimiter(4), []
    held = limiter.hold(4)
    await held.__aenter__()
    waiter = Holder(limiter, "waiter", 4, log)
    await waiter.queued.wait()
    await held.__aexit__(None, None, None)  # grants the waiter its permits without yielding to it
    assert limiter.state == LimiterState(in_flight=4, waiting=0, capacity=4)
    waiter.task.cancel()  # before it resumes
    with pytest.raises(asyncio.CancelledError):
        await waiter.task
    assert log == []
    assert limiter.state == LimiterState(in_flight=0, waiting=0, capacity=4)


async def test_a_request_above_capacity_is_clamped_and_runs_alone() -> None:
    limiter, log = ImageLimiter(3), []
    huge = Holder(limiter, "huge", 8, log)
    await huge.acquired.wait()
    assert limiter.state.in_flight == 3
    other = Holder(limiter, "other", 1, log)
    await other.queued.wait()
    await huge.finish()
    await other.acquired.wait()
    await other.finish()
    assert limiter.state.in_flight == 0


async def test_an_exception_inside_releases_the_permits() -> None:
    limiter = ImageLimiter(2)
    with pytest.raises(RuntimeError):
        async with limiter.hold(2):
            raise RuntimeError("boom")
    assert limiter.state.in_flight == 0


async def test_a_failing_queue_callback_does_not_fail_the_request(caplog: pytest.LogCaptureFixture) -> None:
    limiter, log = ImageLimiter(1), []
    running = Holder(limiter, "running", 1, log)
    await running.acquired.wait()
    called = asyncio.Event()

    async def broken(position: int) -> None:
        called.set()
        raise RuntimeError("Discord said no")

    async def waiter() -> str:
        async with limiter.hold(1, broken):
            return "ran"

    task = asyncio.create_task(waiter())
    await called.wait()
    await running.finish()
    assert await task == "ran"
    assert "Queue position callback failed" in caplog.text


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        ImageLimiter(0)
