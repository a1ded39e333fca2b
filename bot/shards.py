"""Shards: which of Discord's shards this process runs, how fast it may IDENTIFY them, and the name its ledger
holds carry so that each process recovers only its own after a crash.

Discord sends each server's events to one shard, `(guild_id >> 22) % shard_count`. A process runs the shards
`[discord] shard_ids` of `shard_count` (default: Discord's recommended count, all of them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

from bot.config import DiscordSettings

IDENTIFY_WINDOW_S: Final = 5.0  # Discord: `max_concurrency` IDENTIFYs per 5 seconds
SINGLE_PROCESS_INSTANCE: Final = "default"


def shard_options(settings: DiscordSettings) -> dict[str, Any]:
    """discord.py's `AutoShardedBot` arguments: no count = ask Discord; no ids = every shard."""
    options: dict[str, Any] = {"shard_count": settings.shard_count}
    if settings.shard_ids is not None:
        options["shard_ids"] = list(settings.shard_ids)
    return options


def instance_id(settings: DiscordSettings) -> str:
    """The name of this process among the deployment's: `default` when it runs every shard (the only process),
    else its shard set, e.g. `shards 0-3,8 of 16`. Stable across restarts of the same process."""
    if settings.shard_ids is None or settings.shard_count is None:
        return SINGLE_PROCESS_INSTANCE
    return f"shards {_ranges(settings.shard_ids)} of {settings.shard_count}"


def _ranges(numbers: Iterable[int]) -> str:
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)


class IdentifyPacer:
    """Spaces IDENTIFYs as Discord requires: `max_concurrency` sessions may start per 5 seconds, at most one in
    each bucket `shard_id % max_concurrency`. Shards in different buckets start together, so a large bot (whose
    `max_concurrency` is 16 or more) connects many shards at once instead of one every 5 seconds."""

    def __init__(
        self,
        max_concurrency: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.max_concurrency = max_concurrency
        self._clock = clock
        self._sleep = sleep
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def wait(self, shard_id: int) -> None:
        """Return when shard `shard_id` may IDENTIFY; it counts as identified from then on."""
        bucket = shard_id % max(1, self.max_concurrency)
        async with self._locks.setdefault(bucket, asyncio.Lock()):
            last = self._last.get(bucket)
            if last is not None:
                delay = last + IDENTIFY_WINDOW_S - self._clock()
                if delay > 0:
                    await self._sleep(delay)
            self._last[bucket] = self._clock()
