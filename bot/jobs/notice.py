"""The "you're #N in line" notice of a job waiting for the image service."""

from __future__ import annotations

import asyncio
import logging

from bot.jobs.model import JobOutput

log = logging.getLogger(__name__)


class QueueNotice:
    """Shows a waiting job's latest queue position without making the job wait for Discord.

    Positions change often while a queue drains; at most one edit is in flight, and it always shows the newest
    position. `settle()` stops further edits and waits for the one in flight, so it can't land after the result.
    """

    def __init__(self, output: JobOutput) -> None:
        self._output = output
        self._latest: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._settled = False

    async def update(self, position: int) -> None:
        self._latest = position
        if not self._settled and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._show())

    async def _show(self) -> None:
        shown: int | None = None
        while not self._settled and self._latest != shown:
            shown = self._latest
            assert shown is not None
            try:
                await self._output.queued(shown)
            except Exception:
                log.debug("could not show the queue position", exc_info=True)
                return

    async def settle(self) -> None:
        self._settled = True
        if self._task is not None:
            await asyncio.wait([self._task])
