"""Reads that every job makes before anything is held (a server's policy, a member's `/settings` defaults),
remembered for a while.

A write counts itself (before and after it runs) in a counter per key: a remembered read is used only while the
count is what it was when the read was made, and a read that overlapped a write is not remembered. Another
process sharing the database sees a change within `ttl_s`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Final, Generic, TypeVar

DEFAULT_TTL_S: Final = 30.0  # how long another process's change may go unseen

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ReadCache(Generic[K, V]):
    """`get(key, load)` returns a remembered value or loads it. `writes`: the counter a writer bumps (`forget`
    does); `max_entries`: past it, entries older than the TTL are dropped (None: no bound)."""

    def __init__(
        self,
        writes: Counter[K],
        *,
        ttl_s: float,
        monotonic: Callable[[], float] = time.monotonic,
        max_entries: int | None = None,
    ) -> None:
        self._writes = writes
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, int, V]] = {}  # when read, the write count then, the value

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        now = self._monotonic()
        writes = self._writes[key]
        cached = self._entries.get(key)
        if cached is not None and cached[1] == writes and now - cached[0] < self._ttl_s:
            return cached[2]
        value = await load()
        if writes == self._writes[key]:  # a read that overlapped a write is not remembered
            if self._max_entries is not None and len(self._entries) >= self._max_entries:
                self._entries = {k: entry for k, entry in self._entries.items() if now - entry[0] < self._ttl_s}
            self._entries[key] = (now, writes, value)
        return value

    def forget(self, key: K) -> None:
        """A write of `key` is about to run or has run: no read made before it is used again."""
        self._writes[key] += 1
        self._entries.pop(key, None)
