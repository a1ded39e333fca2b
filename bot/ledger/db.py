"""The SQLite writer: one unit of work at a time (see `Database`), and `transaction`.

One aiosqlite connection, driven by one writer task, is the only way in. Opening the file and its migrations
are in `bot.ledger.schema`; handing a request's outcome to its caller (shared with PostgreSQL's writer) in
`bot.ledger.handover`. Both are importable from here as before.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import aiosqlite

from bot.ledger.errors import LedgerError
from bot.ledger.handover import _logged, _shielded, hand_over
from bot.ledger.schema import LATEST_VERSION, Migration, connect, load_migrations, migrate, schema_version

# What other modules import from here (the writer's parts moved out keep their old address).
__all__ = [
    "LATEST_VERSION",
    "Database",
    "Migration",
    "_shielded",
    "connect",
    "hand_over",
    "load_migrations",
    "migrate",
    "schema_version",
    "transaction",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[T]]

MAX_BATCH: Final = 256  # statements committed together at most
CHECKPOINT_EVERY: Final = 200  # commits between background checkpoints


@dataclass(slots=True)
class _Op:
    """A queued request: one statement (batched with its neighbours) or a unit of work (run alone)."""

    future: asyncio.Future[Any]
    sql: str = ""
    parameters: Iterable[Any] | Mapping[str, Any] = ()
    work: Work[Any] | None = None
    undo: Callable[[Any], Awaitable[object]] | None = None


class Database:
    """The single writer: every request goes through one queue and one connection.

    Statements that arrive while the database is busy are committed together: the writer sends
    `BEGIN IMMEDIATE`, the statements and `COMMIT` without waiting in between (aiosqlite runs what it is
    given in order on its thread), and answers each caller only once the commit succeeded. Each statement is
    atomic by itself; one that fails (a constraint) is undone alone and only its caller sees the error; a
    failed commit fails them all. A unit of work with several statements runs alone, in its own transaction.

    A caller cancelled before its request ran takes it off the queue; one cancelled while it runs gets its
    `undo` called with the result (a hold nobody will settle is released).
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        checkpointer: aiosqlite.Connection | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._pending: deque[_Op] = deque()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._closed = False
        self._closer: asyncio.Task[None] | None = None
        self._cleanups: set[asyncio.Task[None]] = set()
        self._writer = asyncio.create_task(self._write_loop(), name="ledger-writer")
        self._checkpointer = checkpointer
        self._commits = 0
        self._checkpoint_due = asyncio.Event()
        self._checkpoints = (
            None
            if checkpointer is None
            else asyncio.create_task(self._checkpoint_loop(checkpointer), name="ledger-checkpointer")
        )

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Connect, migrate, and (for a file) open a second connection that checkpoints the WAL in the
        background, so no request waits for a checkpoint's writes and fsyncs."""
        conn = await connect(path)
        checkpointer = None
        try:
            await migrate(conn)
            if str(path) != ":memory:":
                await conn.execute("PRAGMA wal_autocheckpoint = 0")
                checkpointer = await connect(path)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, checkpointer=checkpointer)

    async def close(self) -> None:
        """Finish every request already queued (and any clean-up they caused), then close."""
        if self._closer is None:
            self._closer = asyncio.create_task(self._close())
        await asyncio.shield(self._closer)

    async def _close(self) -> None:
        self._closing = True
        self._wakeup.set()
        await self._writer
        self._closed = True
        if self._checkpoints is not None and self._checkpointer is not None:
            self._checkpoints.cancel()
            await asyncio.gather(self._checkpoints, return_exceptions=True)
            await self._checkpointer.close()
        await self._conn.close()  # the last connection to close checkpoints what is left

    async def statement(
        self,
        sql: str,
        parameters: Iterable[Any] | Mapping[str, Any] = (),
        *,
        undo: Callable[[list[sqlite3.Row]], Awaitable[object]] | None = None,
        shielded: bool = False,
    ) -> list[sqlite3.Row]:
        """One statement, atomic by itself, committed with whatever else is queued. `shielded`: once asked
        for, it runs even if the caller is cancelled (captures and releases must land)."""
        future = self._submit(_Op(self._new_future(), sql=sql, parameters=parameters, undo=undo))
        rows: list[sqlite3.Row] = await (_shielded(future) if shielded else self._outcome(future, undo))
        return rows

    async def run(
        self, work: Work[T], *, undo: Callable[[T], Awaitable[object]] | None = None, shielded: bool = False
    ) -> T:
        """A unit of work with several statements, alone on the connection; use `transaction` inside it.
        `shielded`: once asked for, it runs even if the caller is cancelled (settlements must land)."""
        future = self._submit(_Op(self._new_future(), work=work, undo=undo))
        result: T = await (_shielded(future) if shielded else self._outcome(future, undo))
        return result

    async def _outcome(self, future: asyncio.Future[Any], undo: Callable[[Any], Awaitable[object]] | None) -> Any:
        try:
            return await future
        except asyncio.CancelledError:
            # Cancelled just after the request succeeded but before this task resumed: the result is lost
            # to the caller, so undo it here (if it had not run yet, the writer undoes or skips it).
            if undo is not None and future.done() and not future.cancelled() and future.exception() is None:
                self._clean_up(undo(future.result()))
            raise

    def _new_future(self) -> asyncio.Future[Any]:
        if self._closed:
            raise LedgerError("the ledger is closed")
        return asyncio.get_running_loop().create_future()

    def _submit(self, op: _Op) -> asyncio.Future[Any]:
        self._pending.append(op)
        self._wakeup.set()
        return op.future

    async def _write_loop(self) -> None:
        while True:
            if not self._pending:
                if self._closing and not self._cleanups:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            head = self._pending.popleft()
            if head.future.cancelled():
                continue
            if head.work is not None:
                await self._run_unit(head)
                continue
            batch = [head]
            while self._pending and self._pending[0].work is None and len(batch) < self._max_batch:
                op = self._pending.popleft()
                if not op.future.cancelled():
                    batch.append(op)
            await self._run_batch(batch)

    async def _run_unit(self, op: _Op) -> None:
        assert op.work is not None
        try:
            result = await op.work(self._conn)
        except Exception as exc:
            self._settle(op, None, exc)
        else:
            self._committed()
            self._settle(op, result, None)

    async def _run_batch(self, batch: list[_Op]) -> None:
        conn = self._conn
        if len(batch) == 1:  # nothing to group: autocommit saves two round trips
            op = batch[0]
            try:
                rows = list(await conn.execute_fetchall(op.sql, op.parameters))
            except Exception as exc:
                self._settle(op, None, exc)
            else:
                self._committed()
                self._settle(op, rows, None)
            return
        # Sent in order without waiting, `BEGIN IMMEDIATE` and `COMMIT` included: they run back to back on
        # aiosqlite's thread, and the batch costs one wait on the event loop (a busy loop makes each wait long).
        begin = asyncio.ensure_future(conn.execute("BEGIN IMMEDIATE"))
        sent = [asyncio.ensure_future(conn.execute_fetchall(op.sql, op.parameters)) for op in batch]
        commit = asyncio.ensure_future(conn.execute("COMMIT"))
        await asyncio.wait([begin, *sent, commit])
        failed_begin = begin.exception()
        failed_commit = commit.exception()
        if failed_commit is not None and (failed_begin is None or conn.in_transaction):
            # Only a failing disk or database gets here. If SQLite rolled the transaction back in the
            # middle of the batch, the statements after that point ran on their own and may have been
            # applied; every caller is told its request failed (a hold left behind is released by
            # `recover` at the next start).
            log.error("committing %d ledger requests failed: %s", len(batch), failed_commit)
            for op in batch:
                self._settle(op, None, failed_commit)
            await self._rollback()
            return
        if failed_begin is not None:
            # No transaction was opened, so each statement ran on its own in autocommit mode: atomic by itself,
            # committed if it succeeded; the COMMIT had nothing to commit. Each caller gets its own outcome.
            log.warning(
                "starting a ledger transaction failed (%s); its %d statements ran alone", failed_begin, len(batch)
            )
        self._committed()
        for op, statement in zip(batch, sent, strict=True):
            error = statement.exception()
            self._settle(op, None if error is not None else list(statement.result()), error)

    async def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                await self._conn.execute("ROLLBACK")
        except Exception:
            log.exception("rolling back a failed ledger transaction failed")

    def _settle(self, op: _Op, result: object, error: BaseException | None) -> None:
        hand_over(op.future, op.undo, result, error, clean_up=self._clean_up)

    def _clean_up(self, undo: Awaitable[object]) -> None:
        cleanup = asyncio.create_task(_logged(undo))
        self._cleanups.add(cleanup)
        cleanup.add_done_callback(self._cleanup_done)

    def _cleanup_done(self, cleanup: asyncio.Task[None]) -> None:
        self._cleanups.discard(cleanup)
        self._wakeup.set()  # a closing writer waits for clean-ups

    def _committed(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY:
            self._commits = 0
            self._checkpoint_due.set()

    async def _checkpoint_loop(self, checkpointer: aiosqlite.Connection) -> None:
        while True:
            await self._checkpoint_due.wait()
            self._checkpoint_due.clear()
            try:
                await checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                log.warning("background WAL checkpoint failed: %s", exc)


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection, mode: str = "IMMEDIATE") -> AsyncIterator[None]:
    """`BEGIN IMMEDIATE` takes the write lock up front, so a transaction never fails half-way on a lock."""
    await conn.execute(f"BEGIN {mode}")
    try:
        yield
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
