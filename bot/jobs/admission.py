"""Which jobs may start (the server is served, the bot is not closing, the member has room), and the jobs in
flight, so that a shutdown can wait for them and a caller can wait for a posted result's bookkeeping."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from bot.errors import NotServedHere, UserFacingError
from bot.i18n import _, _n

log = logging.getLogger(__name__)

_RECORDED_KEPT = 256


class Admission:
    def __init__(self, *, max_jobs_per_member: int, allowed_guild_ids: Collection[int] = ()) -> None:
        self._max_jobs = max_jobs_per_member
        self._allowed_guilds = frozenset(allowed_guild_ids)
        self._active: Counter[tuple[int, int]] = Counter()
        self._tasks: set[asyncio.Task[object]] = set()
        self._closing = False
        # Posted result (message id) -> its charge and record are done; the newest few hundred only.
        self._recorded: OrderedDict[int, asyncio.Future[None]] = OrderedDict()

    def check(self, guild_id: int, user_id: int) -> None:
        """Raise a `UserFacingError` if a job of this member may not start now."""
        if self._allowed_guilds and guild_id not in self._allowed_guilds:
            raise NotServedHere()
        if self._closing:
            raise UserFacingError(_("The bot is restarting. Try again in a minute."))
        running = self._active[(guild_id, user_id)]
        if running >= self._max_jobs:
            raise UserFacingError(
                _n(
                    "You already have {count} job running (the limit is {limit}). Wait for it to finish, then try "
                    "again.",
                    "You already have {count} jobs running (the limit is {limit}). Wait for one to finish, then try "
                    "again.",
                    count=running,
                    limit=self._max_jobs,
                )
            )

    @contextmanager
    def running(self, guild_id: int, user_id: int) -> Iterator[None]:
        """Count the current task as one of the member's jobs until the block ends (call `check` first)."""
        member = (guild_id, user_id)
        self._active[member] += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            self._active[member] -= 1
            if not self._active[member]:
                del self._active[member]
            if task is not None:
                self._tasks.discard(task)

    async def shutdown(self, grace_s: float) -> None:
        """Refuse new jobs; let running ones finish for `grace_s`, then cancel them."""
        self._closing = True
        running = [task for task in self._tasks if task is not asyncio.current_task()]
        if not running:
            return
        log.info("waiting up to %.0fs for %d job(s) in flight", grace_s, len(running))
        _, pending = await asyncio.wait(running, timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def recorded(self, message_id: int) -> None:
        await asyncio.shield(self._recorded_future(message_id))

    def mark_recorded(self, message_id: int) -> None:
        if not (done := self._recorded_future(message_id)).done():
            done.set_result(None)

    def _recorded_future(self, message_id: int) -> asyncio.Future[None]:
        if message_id not in self._recorded:
            self._recorded[message_id] = asyncio.get_running_loop().create_future()
            while len(self._recorded) > _RECORDED_KEPT:
                self._recorded.popitem(last=False)
        return self._recorded[message_id]
