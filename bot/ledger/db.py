"""The SQLite connection: pragmas, numbered migrations, and one unit of work at a time.

One aiosqlite connection, driven by one writer task, is the only way in (see `Database`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, TypeVar

import aiosqlite

from bot.ledger.errors import LedgerError

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[T]]

MIN_SQLITE: Final = (3, 37, 0)  # STRICT tables; RETURNING needs 3.35
BUSY_TIMEOUT_MS: Final = 5_000
MAX_BATCH: Final = 256  # statements committed together at most
CHECKPOINT_EVERY: Final = 200  # commits between background checkpoints
_MIGRATION_NAME: Final = re.compile(r"^V(?P<version>\d+)__(?P<name>\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(folder: str = "migrations") -> tuple[Migration, ...]:
    """The package's `{folder}/V{n}__{name}.sql` files in order; their numbers must run 1, 2, 3, …
    (`migrations/` for SQLite, `migrations_pg/` for PostgreSQL)."""
    found: list[Migration] = []
    for resource in files("bot.ledger").joinpath(folder).iterdir():
        match = _MIGRATION_NAME.match(resource.name)
        if match is not None:
            found.append(Migration(int(match["version"]), match["name"], resource.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise LedgerError(f"migration versions must be 1..n without gaps, found {versions}")
    return tuple(found)


MIGRATIONS: Final = load_migrations()
LATEST_VERSION: Final = len(MIGRATIONS)


async def schema_version(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("PRAGMA user_version")
    return int(next(iter(rows))[0])


async def migrate(
    conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS, *, target: int | None = None
) -> int:
    """Apply the migrations above the database's `user_version` (up to `target`), each in its own
    transaction together with the new version number; return the version reached.

    Foreign keys are off while a migration runs and checked before it commits, as SQLite documents for
    schema changes: a migration may rebuild a table that others refer to (to change a CHECK constraint)."""
    current = await schema_version(conn)
    latest = len(migrations)
    if current > latest:
        raise LedgerError(f"the database is at schema version {current}, newer than this bot's {latest}")
    pending = migrations[current : latest if target is None else target]
    if not pending:
        return current
    await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for migration in pending:
            await _apply(conn, migration)
    finally:
        await conn.execute("PRAGMA foreign_keys = ON")
    return await schema_version(conn)


async def _apply(conn: aiosqlite.Connection, migration: Migration) -> None:
    log.info("migrating the database to version %d (%s)", migration.version, migration.name)
    try:
        await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};")
        broken = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
        if broken:
            raise sqlite3.IntegrityError(f"foreign keys broken in {sorted({row[0] for row in broken})}")
        await conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise LedgerError(f"migration V{migration.version}__{migration.name} failed: {exc}") from exc


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open the file (creating its directory) with WAL, foreign keys and a busy timeout, in autocommit mode:
    transactions are always explicit."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise LedgerError(f"SQLite {sqlite3.sqlite_version} is too old; the ledger needs 3.37 or newer")
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        # With WAL, NORMAL loses no committed data on a process crash, only possibly the last commits on
        # power loss, and it saves an fsync per commit.
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


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
        try:
            await conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            for op in batch:
                self._settle(op, None, exc)
            return
        # Sent in order without waiting: the statements run back to back on aiosqlite's thread.
        sent = [asyncio.ensure_future(conn.execute_fetchall(op.sql, op.parameters)) for op in batch]
        commit = asyncio.ensure_future(conn.execute("COMMIT"))
        outcomes = await asyncio.gather(*sent, return_exceptions=True)
        try:
            await commit
        except Exception as exc:
            # Only a failing disk or database gets here. If SQLite rolled the transaction back in the
            # middle of the batch, the statements after that point ran on their own and may have been
            # applied; every caller is told its request failed (a hold left behind is released by
            # `recover` at the next start).
            log.error("committing %d ledger requests failed: %s", len(batch), exc)
            for op in batch:
                self._settle(op, None, exc)
            await self._rollback()
            return
        self._committed()
        for op, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._settle(op, None, outcome)
            else:
                self._settle(op, list(outcome), None)

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


def hand_over(
    future: asyncio.Future[Any],
    undo: Callable[[Any], Awaitable[object]] | None,
    result: object,
    error: BaseException | None,
    *,
    clean_up: Callable[[Awaitable[object]], None],
) -> None:
    """Give a queued request's outcome to its caller; when the caller was cancelled meanwhile, undo what succeeded
    (through `clean_up`) or log what failed. Both writers, SQLite's and PostgreSQL's, settle requests this way."""
    if not future.cancelled():
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    elif error is None and undo is not None:
        clean_up(undo(result))
    elif error is not None:
        log.warning("a ledger request whose caller was cancelled failed: %r", error)


async def _shielded(future: asyncio.Future[Any]) -> Any:
    """The request's outcome; a caller cancelled meanwhile stops waiting, but the request still runs."""
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_retrieve)
        raise


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("a ledger request whose caller was cancelled failed: %r", future.exception())


async def _logged(cleanup: Awaitable[object]) -> None:
    try:
        await cleanup
    except Exception:
        log.exception("cleaning up after a cancelled ledger request failed")


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
