"""`[ideogram] max_concurrency` for the whole deployment: images in flight counted in PostgreSQL, so that every
process sharing the database together stays under the API key's limit.

Each request is a row of `api_leases`: first a ticket in one queue for the deployment (served strictly in arrival
order, like the one-process `ImageLimiter`), then, once its images fit, a lease. Granting runs under an advisory
lock in one transaction, by whichever process looks (at a request, a release, a notification or a poll), so a
process never waits for another to grant its tickets. Every process renews its rows while it lives; the rows of
a process that died expire after `lease_s` and free their images; a restarted process frees its old rows at once.
Queue positions count the deployment's waiting tickets, so a member still sees "you're #N in line".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg

from bot.ideogram.limiter import ImageLimiter, LimiterState, QueueCallback
from bot.ledger.pg import open_pool

log = logging.getLogger(__name__)
_report = ImageLimiter._report  # the same queue-position report as one process's limiter (its failures logged)

CHANNEL: Final = "api_leases"
GRANT_LOCK: Final = 0x1DE0_51D7  # advisory lock key: one granting transaction at a time
DEFAULT_LEASE_S: Final = 30.0
DEFAULT_POLL_S: Final = 1.0

_GRANT = """
WITH used AS (SELECT coalesce(sum(weight), 0) AS images FROM api_leases WHERE granted),
     queue AS (SELECT id, sum(weight) OVER (ORDER BY id) AS ahead FROM api_leases WHERE NOT granted)
UPDATE api_leases SET granted = true
FROM queue, used
WHERE api_leases.id = queue.id AND used.images + queue.ahead <= $1
RETURNING api_leases.id
"""
_MINE = """
SELECT t.id, t.granted,
       (SELECT count(*) FROM api_leases w WHERE NOT w.granted AND w.id <= t.id) AS position
FROM api_leases t WHERE t.owner = $1
"""


@dataclass(eq=False, slots=True)
class _Ticket:
    id: int
    weight: int
    granted: bool = False
    position: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class DatabaseSlots:
    """A deployment-wide FIFO weighted semaphore with the same `hold(weight, on_queue)` as `ImageLimiter`.

    `pool` is an `asyncpg.Pool` on a database migrated by `bot.ledger.pg`; `url` opens the connection that
    listens for releases. `instance_id` names this process among the deployment's (its shard set).
    """

    def __init__(
        self,
        pool: Any,
        url: str,
        *,
        capacity: int,
        instance_id: str,
        lease_s: float = DEFAULT_LEASE_S,
        poll_s: float = DEFAULT_POLL_S,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._pool = pool
        self._url = url
        self._capacity = capacity
        self._instance_id = instance_id
        self._owner = f"{instance_id}/{secrets.token_hex(6)}"  # this run of the process
        self._lease_s = lease_s
        self._poll_s = poll_s
        self._tickets: dict[int, _Ticket] = {}
        self._kick = asyncio.Event()
        self._listener: Any = None
        self._pump: asyncio.Task[None] | None = None
        self._owns_pool = False

    @classmethod
    async def open(cls, url: str, *, capacity: int, instance_id: str) -> DatabaseSlots:
        """A pool of its own on the (migrated) database at `url`, started."""
        pool = await open_pool(url, min_size=1, max_size=3)
        slots = cls(pool, url, capacity=capacity, instance_id=instance_id)
        slots._owns_pool = True
        try:
            await slots.start()
        except BaseException:
            await pool.close()
            raise
        return slots

    @property
    def state(self) -> LimiterState:
        """This process's images in flight and requests waiting, and the deployment's limit."""
        tickets = list(self._tickets.values())
        in_flight = sum(t.weight for t in tickets if t.granted)
        return LimiterState(in_flight=in_flight, waiting=sum(not t.granted for t in tickets), capacity=self._capacity)

    def clamp(self, weight: int) -> int:
        return max(1, min(weight, self._capacity))

    async def start(self) -> None:
        """Free what an earlier run of this process left behind, then start listening and renewing."""
        deleted = await self._pool.execute("DELETE FROM api_leases WHERE instance_id = $1", self._instance_id)
        if deleted != "DELETE 0":
            log.info("freed API slots left by an earlier run of %s (%s)", self._instance_id, deleted)
            await self._pool.execute("SELECT pg_notify($1, '')", CHANNEL)
        await self._listen()
        self._pump = asyncio.create_task(self._run_pump(), name="api-slots")

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        if self._owns_pool:
            self._owns_pool = False
            await self._pool.close()

    @asynccontextmanager
    async def hold(self, weight: int, on_queue: QueueCallback | None = None) -> AsyncIterator[None]:
        """Hold `weight` images (clamped to the limit) of the deployment's limit for the body of the `async with`."""
        weight = self.clamp(weight)
        ticket = await self._enqueue(weight)
        try:
            await self._wait_for_grant(ticket, on_queue)
            yield
        finally:
            await asyncio.shield(self._release(ticket))

    # -- internals ---------------------------------------------------------------------------------------------

    async def _enqueue(self, weight: int) -> _Ticket:
        ticket = _Ticket(0, weight)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                ticket.id = await conn.fetchval(
                    "INSERT INTO api_leases (instance_id, owner, weight, expires_at)"
                    " VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id",
                    self._instance_id,
                    self._owner,
                    weight,
                    self._lease_s,
                )
                self._tickets[ticket.id] = ticket
                rows = await self._grant(conn)
        except BaseException:
            # Not committed, or committed but abandoned: an unrenewed row expires by itself.
            self._tickets.pop(ticket.id, None)
            raise
        self._apply(rows)
        return ticket

    async def _wait_for_grant(self, ticket: _Ticket, on_queue: QueueCallback | None) -> None:
        reported = 0
        while not ticket.granted:
            if ticket.position and ticket.position != reported:
                reported = ticket.position
                await _report(on_queue, reported)
                continue  # the report awaited: look again before sleeping
            ticket.changed.clear()
            await ticket.changed.wait()
        if reported:
            await _report(on_queue, 0)  # its turn: the notice can say it is under way

    async def _release(self, ticket: _Ticket) -> None:
        self._tickets.pop(ticket.id, None)
        try:
            await self._pool.execute(
                "WITH gone AS (DELETE FROM api_leases WHERE id = $1) SELECT pg_notify($2, '')", ticket.id, CHANNEL
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("could not release API slot %d; it expires by itself", ticket.id, exc_info=True)
        self._kick.set()

    async def _grant(self, conn: Any) -> list[Any]:
        """In the caller's transaction: drop expired rows, renew ours, grant what fits; our tickets' rows."""
        await conn.execute("SELECT pg_advisory_xact_lock($1)", GRANT_LOCK)
        await conn.execute("DELETE FROM api_leases WHERE expires_at < now()")
        await conn.execute(
            "UPDATE api_leases SET expires_at = now() + make_interval(secs => $2) WHERE id = ANY($1::bigint[])",
            list(self._tickets),
            self._lease_s,
        )
        if await conn.fetch(_GRANT, self._capacity):
            await conn.execute("SELECT pg_notify($1, '')", CHANNEL)  # other processes' tickets may be among them
        return list(await conn.fetch(_MINE, self._owner))

    def _apply(self, rows: list[Any]) -> None:
        """After the commit: tell our waiting requests whether they were granted, or where they stand."""
        for row in rows:
            ticket = self._tickets.get(row["id"])
            position = 0 if row["granted"] else int(row["position"])
            if ticket is not None and (ticket.granted, ticket.position) != (row["granted"], position):
                ticket.granted, ticket.position = row["granted"], position
                ticket.changed.set()

    async def _run_pump(self) -> None:
        """Look again whenever something was released anywhere, and at least every `poll_s` (expired leases,
        lost notifications); renewing our rows on the way."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._kick.wait()
            self._kick.clear()
            if not self._tickets:
                continue
            try:
                if self._listener is None or self._listener.is_closed():
                    await self._listen()
                async with self._pool.acquire() as conn, conn.transaction():
                    rows = await self._grant(conn)
                self._apply(rows)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("could not reach PostgreSQL for API slots; retrying", exc_info=True)

    async def _listen(self) -> None:
        try:
            self._listener = await asyncpg.connect(self._url)
            await self._listener.add_listener(CHANNEL, lambda *_: self._kick.set())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self._listener = None
            log.warning("could not listen for API slot releases; polling every %.1f s", self._poll_s)
