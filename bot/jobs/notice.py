"""What a running job shows before its result: that it is under way and what it may cost, or its place in line."""

from __future__ import annotations

import asyncio
import logging

from bot.jobs.model import JobOutput

log = logging.getLogger(__name__)


class ProgressNotice:
    """Shows a job's progress without making the job wait for Discord.

    Queue positions change often while a queue drains; at most one edit is in flight, and it always shows the
    newest state. `settle()` stops further edits and waits for the one in flight, so it can't land after the
    result.
    """

    def __init__(self, output: JobOutput, *, estimate: int, settings: str = "") -> None:
        self._output = output
        self._estimate = estimate
        self._settings = settings
        self._position: int | None = None
        self._version = 0
        self._task: asyncio.Task[None] | None = None
        self._settled = False

    async def update(self, position: int | None = None) -> None:
        """`position`: the job's 1-based place in line for the image service; None or 0 while it is being made."""
        self._position = position or None
        self._version += 1
        if not self._settled and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._show())

    async def _show(self) -> None:
        shown = 0
        while not self._settled and shown != self._version:
            shown = self._version
            try:
                await self._output.progress(position=self._position, estimate=self._estimate, settings=self._settings)
            except Exception:
                log.debug("could not show a job's progress", exc_info=True)
                return

    async def settle(self) -> None:
        self._settled = True
        if self._task is not None:
            await asyncio.wait([self._task])
