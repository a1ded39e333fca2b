"""PostgreSQL's single statements, committed together: one writer task per process, as SQLite's `Database` does.

Statements queued while the writer is busy run in one READ COMMITTED transaction on one connection; one that
fails is undone alone (the batch is rolled back and runs again without it) and only its caller sees the error.
The advisory locks of the batch's budget-checking statements (`checked`) are taken first, in order (no two
batches can deadlock on them), and held until the batch commits: every hold still sees each hold committed before
it (READ COMMITTED takes a snapshot per statement, after the locks), and the holds of one server (of all servers
under an operator cap) still never overlap. Callers get their results only once COMMIT succeeded: a deadlock or
serialization failure runs the batch again; any other failed COMMIT fails every caller. One WAL flush serves the
whole batch.

Round trips: the statements of one text go together (asyncpg's `fetchmany`, each row tagged with its statement's
place), those that free money before those that check budgets; a batch of one text without locks needs no BEGIN
or COMMIT. The writer keeps its connection between batches; one lost before COMMIT runs the batch again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from bot.ledger.db import hand_over
from bot.ledger.errors import LedgerError
from bot.ledger.pg_sql import ordered, rowless, tagged

log = logging.getLogger(__name__)

MAX_BATCH: Final = 256  # statements committed together at most
MAX_ATTEMPTS: Final = 30
RETRYABLE: Final = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
GUILD_LOCKS: Final = 0x1DE0  # advisory lock namespace: one key per server (its id modulo 2^31), -1 for all


@dataclass(slots=True)
class Queued:
    """One translated statement waiting for the writer; `lock`: the advisory lock key it needs, if any."""

    future: asyncio.Future[Any]
    query: str
    args: list[Any]
    lock: int | None
    undo: Callable[[Any], Awaitable[object]] | None


class _Redo(Exception):
    """A statement of the batch failed: run the batch again without it."""


class _Ungroup(Exception):
    """A pipelined group of statements failed (which one is not known): run the batch one statement at a time."""


class _Retry(Exception):
    """The batch's transaction hit a deadlock or serialization failure, or lost its connection before COMMIT:
    nothing of it landed, so it runs again."""


class Batcher:
    """The writer: takes `Queued` statements from `submit` and commits them in batches on one of the pool's
    connections, which it keeps."""

    def __init__(self, pool: Any, convert: Callable[[Any], Any], max_batch: int = MAX_BATCH) -> None:
        self._pool = pool
        self._conn: Any = None  # the writer's own connection, kept between batches (a pool's release resets it)
        self._convert = convert  # a record → a row as SQLite gives it
        self._max_batch = max_batch
        self._pending: deque[Queued] = deque()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._closed = False
        self._cleanups: set[asyncio.Future[None]] = set()
        self._writer: asyncio.Task[None] | None = None

    def submit(self, op: Queued) -> asyncio.Future[Any]:
        if self._closed:
            raise LedgerError("the ledger is closed")
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="ledger-pg-writer")
        self._pending.append(op)
        self._wakeup.set()
        return op.future

    async def close(self) -> None:
        """Finish every statement already queued (and the clean-ups they caused), then refuse new ones."""
        self._closing = True
        self._wakeup.set()
        if self._writer is not None:
            await asyncio.shield(self._writer)
        self._closed = True
        await self._let_go()

    def clean_up(self, undo: Awaitable[object]) -> None:
        cleanup = asyncio.ensure_future(_logged(undo))
        self._cleanups.add(cleanup)
        cleanup.add_done_callback(self._cleanup_done)

    def _cleanup_done(self, cleanup: asyncio.Future[None]) -> None:
        self._cleanups.discard(cleanup)
        self._wakeup.set()  # a closing writer waits for clean-ups

    async def _write_loop(self) -> None:
        while True:
            if not self._pending:
                if self._closing and not self._cleanups:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch: list[Queued] = []
            while self._pending and len(batch) < self._max_batch:
                op = self._pending.popleft()
                if not op.future.cancelled():  # a caller cancelled before its statement ran takes it back
                    batch.append(op)
            if batch:
                await self._run_batch(batch)

    async def _run_batch(self, batch: list[Queued]) -> None:
        failed: dict[int, Exception] = {}  # statements that failed: left out when the batch runs again
        grouped = len(batch) > 1
        attempt = 1
        while True:
            try:
                outcomes = await self._attempt(batch, failed, grouped)
            except _Ungroup:
                grouped = False
                continue
            except _Redo:
                continue  # at most once per statement
            except _Retry as exc:
                if attempt == MAX_ATTEMPTS:
                    self._fail(batch, exc.__cause__ or exc)
                    return
                attempt += 1
                await asyncio.sleep(random.uniform(0, 0.002 * attempt))
                continue
            except Exception as exc:  # the connection or the COMMIT failed: nothing of the batch is known to land
                log.error("committing %d ledger statements failed: %r", len(batch), exc)
                self._fail(batch, exc)
                return
            for op, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    self._settle(op, None, outcome)
                else:
                    self._settle(op, outcome, None)
            return

    async def _attempt(self, batch: list[Queued], failed: dict[int, Exception], grouped: bool) -> list[Any]:
        """Run the batch (but the statements in `failed`) and commit. `grouped`: the statements of one text run
        together, pipelined (`_run_grouped`); a failure among them runs the batch again one statement at a time
        (`_Ungroup`). One at a time, a statement that fails is recorded in `failed` and the batch rolled back
        (`_Redo`): it then runs again without it, so the failed statement changed nothing and the others are
        each applied once. (No savepoints: more than 64 subtransactions in one transaction slow every other
        session's snapshots.) A batch of one statement text that needs no lock is sent without BEGIN and COMMIT:
        one statement commits by itself, and a pipeline of them (asyncpg's `fetchmany`, ended by one Sync) is one
        implicit transaction that PostgreSQL commits or rolls back whole."""
        if len(failed) == len(batch):
            return [failed[index] for index in range(len(batch))]  # nothing left to run
        locks = sorted({op.lock for index, op in enumerate(batch) if op.lock is not None and index not in failed})
        begin = ";".join(["BEGIN", *(f"SELECT pg_advisory_xact_lock({GUILD_LOCKS}, {key})" for key in locks)])
        texts = {op.query for index, op in enumerate(batch) if index not in failed}
        implicit = not locks and not failed and len(texts) == 1  # one round trip, its own transaction (see below)
        conn = await self._connection()
        committing = implicit
        try:
            if implicit:
                outcomes = await self._run_grouped(conn, batch)
            else:
                await conn.execute(begin)
                outcomes = await (self._run_grouped(conn, batch) if grouped else self._run_each(conn, batch, failed))
                committing = True
                await conn.execute("COMMIT")
        except BaseException as exc:
            await _rollback(conn)
            if _lost(conn) and not committing and isinstance(exc, Exception):
                await self._let_go()  # lost before COMMIT, so nothing landed: the batch runs again on another one
                raise _Retry from exc
            if isinstance(exc, RETRYABLE):
                raise _Retry from exc
            if isinstance(exc, asyncpg.PostgresError) and implicit and len(batch) == 1:
                failed[0] = _refused(exc)
                raise _Redo from exc
            if isinstance(exc, asyncpg.PostgresError) and (grouped or implicit):
                raise _Ungroup from exc
            if not isinstance(exc, (_Redo, asyncpg.PostgresError)):
                await self._let_go()  # broken or interrupted: the pool resets or closes it
            raise
        return outcomes

    async def _connection(self) -> Any:
        if self._conn is not None and _lost(self._conn):
            await self._let_go()
        if self._conn is None:
            self._conn = await self._pool.acquire()
        return self._conn

    async def _let_go(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await self._pool.release(conn)
            except Exception:
                log.exception("returning the ledger writer's connection failed")

    async def _run_each(self, conn: Any, batch: list[Queued], failed: dict[int, Exception]) -> list[Any]:
        outcomes: list[Any] = []
        for index, op in enumerate(batch):
            if index in failed:
                outcomes.append(failed[index])
                continue
            try:
                outcomes.append([self._convert(record) for record in await conn.fetch(op.query, *op.args)])
            except RETRYABLE:
                raise
            except asyncpg.PostgresError as exc:
                failed[index] = _refused(exc)
                raise _Redo from exc
        return outcomes

    async def _run_grouped(self, conn: Any, batch: list[Queued]) -> list[Any]:
        """The batch's statements of one text in one round trip (asyncpg's `fetchmany`: one Bind/Execute each,
        so each still sees the ones before it), each row tagged with its statement's place. Statements of a batch
        were queued concurrently (no caller waits for another's), so any order is one they could have run in:
        those that free money (captures, releases) run before those that check budgets (holds)."""
        groups: dict[str, list[int]] = {}
        for index, op in sorted(enumerate(batch), key=lambda item: item[1].lock is not None):
            groups.setdefault(op.query, []).append(index)
        outcomes: list[Any] = [[] for _ in batch]
        for query, indices in groups.items():
            if len(indices) == 1 or ordered(query):
                for index in indices:
                    records = await conn.fetch(query, *batch[index].args)
                    outcomes[index] = [self._convert(record) for record in records]
            elif rowless(query):
                await conn.executemany(query, [batch[index].args for index in indices])
            else:
                arguments = [[*batch[index].args, place] for place, index in enumerate(indices)]
                for record in await conn.fetchmany(tagged(query), arguments):
                    place, *row = record
                    outcomes[indices[place]].append(self._convert(row))
        return outcomes

    def _fail(self, batch: list[Queued], error: BaseException) -> None:
        for op in batch:
            self._settle(op, None, error)

    def _settle(self, op: Queued, result: object, error: BaseException | None) -> None:
        hand_over(op.future, op.undo, result, error, clean_up=self.clean_up)


def _refused(exc: Exception) -> Exception:
    """The parts (and their callers) see one error type for a refused write, whatever the database."""
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        refused = sqlite3.IntegrityError(str(exc))
        refused.__cause__ = exc
        return refused
    return exc


def _lost(conn: Any) -> bool:
    """Whether the connection is closed (a pool's connection the server closed may already be taken back)."""
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:
        return True


async def _rollback(conn: Any) -> None:
    try:
        if not _lost(conn):
            await conn.execute("ROLLBACK")
    except Exception:
        log.exception("rolling back a failed ledger batch failed")


async def _logged(cleanup: Awaitable[object]) -> None:
    try:
        await cleanup
    except Exception:
        log.exception("cleaning up after a cancelled ledger request failed")
