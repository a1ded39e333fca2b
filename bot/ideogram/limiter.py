"""A first-come-first-served weighted semaphore counting images in flight.

Ideogram limits each account to a number of images (not requests) in flight, 10 by default, and answers 429
beyond it. The client holds `num_images` permits for the whole call, so the bot never asks for more than the
limit at once. Waiters are served strictly in arrival order (a big request is never starved by small ones), and
each waiter is told its 1-based position when it starts waiting and whenever the position changes, and 0 when
its turn comes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

QueueCallback = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LimiterState:
    """A snapshot: images in flight, requests waiting, and the capacity."""

    in_flight: int
    waiting: int
    capacity: int


@dataclass(eq=False, slots=True)
class _Waiter:
    weight: int
    granted: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class ImageLimiter:
    """FIFO weighted semaphore. A request for more than the capacity is clamped, so it can still run alone."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._in_flight = 0
        self._queue: deque[_Waiter] = deque()

    @property
    def state(self) -> LimiterState:
        return LimiterState(in_flight=self._in_flight, waiting=len(self._queue), capacity=self._capacity)

    def clamp(self, weight: int) -> int:
        return max(1, min(weight, self._capacity))

    @asynccontextmanager
    async def hold(self, weight: int, on_queue: QueueCallback | None = None) -> AsyncIterator[None]:
        """Hold `weight` permits (clamped to the capacity) for the body of the `async with`."""
        weight = self.clamp(weight)
        await self._acquire(weight, on_queue)
        try:
            yield
        finally:
            self._release(weight)

    async def _acquire(self, weight: int, on_queue: QueueCallback | None) -> None:
        if not self._queue and self._in_flight + weight <= self._capacity:
            self._in_flight += weight
            return
        waiter = _Waiter(weight)
        self._queue.append(waiter)
        reported = 0
        try:
            while not waiter.granted:
                position = self._queue.index(waiter) + 1
                if position != reported:
                    reported = position
                    await self._report(on_queue, position)
                    continue  # the report awaited: look again before sleeping
                waiter.wake.clear()
                await waiter.wake.wait()
            await self._report(on_queue, 0)  # its turn: the notice can say it is under way
        except BaseException:
            if waiter.granted:
                self._release(weight)
            else:
                self._queue.remove(waiter)
                self._dispatch(moved=True)
            raise

    @staticmethod
    async def _report(on_queue: QueueCallback | None, position: int) -> None:
        if on_queue is None:
            return
        try:
            await on_queue(position)
        except Exception:
            # The queue notice is cosmetic (a Discord message edit); its failure must not fail the job.
            log.warning("Queue position callback failed", exc_info=True)

    def _release(self, weight: int) -> None:
        self._in_flight -= weight
        self._dispatch(moved=False)

    def _dispatch(self, *, moved: bool) -> None:
        """Grant permits to waiters at the head of the queue while they fit; tell the rest if they moved up."""
        while self._queue and self._in_flight + self._queue[0].weight <= self._capacity:
            waiter = self._queue.popleft()
            self._in_flight += waiter.weight
            waiter.granted = True
            waiter.wake.set()
            moved = True
        if moved:
            for waiter in self._queue:
                waiter.wake.set()
