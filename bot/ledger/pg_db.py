"""The ledger's database on PostgreSQL: the same `statement`/`run` interface as the SQLite `Database`, so every
part of the `Ledger` runs unchanged on either.

The parts write SQLite's SQL; `bot.ledger.pg_sql.translate` turns it into PostgreSQL's: `?` and `:name`
placeholders become `$n` (typed from the value, since PostgreSQL infers a parameter's type once per statement),
`ON CONFLICT DO` gains the table's key, which PostgreSQL requires, and SQLite's two-argument `min(a, b)` and
`iif(test, a, b)` become `LEAST(a, b)` and `CASE`. The schema itself is written for each database
(`migrations/` and `migrations_pg/`).

Atomicity: SQLite runs one writer at a time; here many processes write at once.
- Single statements are committed in batches, one transaction per batch, the statements of one text sent
  together in one round trip (`bot.ledger.pg_batch`). A statement that checks a budget before it writes
  (`checked`: the hold) needs its server's advisory lock (with an operator cap, which spans servers, one lock for
  all): the batch takes them first and keeps them until it commits, and runs in READ COMMITTED, so a hold sees
  every hold committed before it that it could compete with: holds queue one after another (across processes
  too), and never overspend the member's allowance, the server cap or the operator cap.
- Every other single statement (captures, releases, grants, settings) runs in the same READ COMMITTED batches:
  each touches its own rows, and day totals are adjusted in place under row locks. None can make a hold's check
  too generous: captures and releases only lower what is held (a capture takes at most its hold), grants only
  raise allowances.
- A unit of work (several statements) runs in one SERIALIZABLE transaction, retried whole on a conflict.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

import asyncpg

from bot.ledger.db import _shielded
from bot.ledger.errors import LedgerError
from bot.ledger.pg import open_pool
from bot.ledger.pg_batch import GUILD_LOCKS, MAX_ATTEMPTS, RETRYABLE, Batcher, Queued
from bot.ledger.pg_sql import Translations

log = logging.getLogger(__name__)

T = TypeVar("T")
_TRANSACTION_CONTROL: Final = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|END)\b", re.I)


def _lock_key(parameters: Iterable[Any] | Mapping[str, Any]) -> int:
    """The lock a budget-checking statement takes: its server's; all servers' one when an operator cap (a limit
    across servers) is part of the check."""
    named = parameters if isinstance(parameters, Mapping) else {}
    return -1 if named.get("operator_cap") is not None else int(named["guild_id"]) % 2**31


def _guild_lock(parameters: Iterable[Any] | Mapping[str, Any]) -> str:
    return f"SELECT pg_advisory_xact_lock({GUILD_LOCKS}, {_lock_key(parameters)})"


def _plain(record: Any) -> tuple[Any, ...]:
    """A row as SQLite gives it: a tuple, with sums (PostgreSQL's numeric) as ints."""
    return tuple(int(value) if isinstance(value, Decimal) else value for value in record)


class PgConnection:
    """What a unit of work sees: aiosqlite's connection methods, inside the unit's one transaction (the
    work's own BEGIN/COMMIT are part of that transaction)."""

    def __init__(self, conn: Any, translations: Translations, checked: frozenset[str]) -> None:
        self._conn = conn
        self._translate = translations
        self._checked = checked
        self.in_transaction = True

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] | Mapping[str, Any] = ()) -> list[Any]:
        if _TRANSACTION_CONTROL.match(sql):
            return []
        if sql in self._checked:
            await self._conn.execute(_guild_lock(parameters))
        query, args = self._translate(sql, parameters)
        return [_plain(record) for record in await self._conn.fetch(query, *args)]

    async def execute(self, sql: str, parameters: Iterable[Any] | Mapping[str, Any] = ()) -> list[Any]:
        return await self.execute_fetchall(sql, parameters)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any] | Mapping[str, Any]]) -> None:
        batch = [self._translate(sql, row) for row in rows]
        if batch:
            await self._conn.executemany(batch[0][0], [args for _, args in batch])


class PgDatabase:
    """`statement` and `run` as `bot.ledger.db.Database` offers them, on a pool of PostgreSQL connections."""

    def __init__(self, pool: Any, keys: Mapping[str, Sequence[str]], checked: Iterable[str] = ()) -> None:
        self._pool = pool
        self._translate = Translations(keys)
        self._checked = frozenset(checked)
        self._closed = False
        self._batcher = Batcher(pool, _plain)
        self._closer: asyncio.Future[None] | None = None

    @classmethod
    async def open(cls, url: str, *, checked: Iterable[str] = (), max_size: int = 10) -> PgDatabase:
        """Connect to `url` (DATABASE_URL), migrate, and learn each table's key for upserts. `checked`: the
        statements that check a server's budgets before writing (with a `guild_id` parameter)."""
        pool = await open_pool(url, max_size=max_size)
        rows = await pool.fetch(
            "SELECT c.relname AS table, array_agg(a.attname ORDER BY k.ord) AS columns"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
            " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
            " WHERE i.indisprimary GROUP BY c.relname"
        )
        return cls(pool, {row["table"]: list(row["columns"]) for row in rows}, checked)

    @property
    def pool(self) -> Any:
        return self._pool

    async def close(self) -> None:
        if self._closer is None:
            self._closer = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closer)

    async def _close(self) -> None:
        await self._batcher.close()  # the statements queued (and their clean-ups) still land
        self._closed = True
        await self._pool.close()

    async def statement(
        self,
        sql: str,
        parameters: Iterable[Any] | Mapping[str, Any] = (),
        *,
        undo: Callable[[list[Any]], Awaitable[object]] | None = None,
        shielded: bool = False,
    ) -> list[Any]:
        """One statement, atomic by itself, committed together with the others queued meanwhile (see
        `bot.ledger.pg_batch`). `shielded`: it runs to the end even if the caller is cancelled; otherwise a caller
        cancelled after it committed gets `undo` called with its rows."""
        if self._closed:
            raise LedgerError("the ledger is closed")
        query, args = self._translate(sql, parameters)
        lock = _lock_key(parameters) if sql in self._checked else None
        future = asyncio.get_running_loop().create_future()
        self._batcher.submit(Queued(future, query, args, lock, undo))
        if shielded:
            rows: list[Any] = await _shielded(future)
            return rows
        try:
            return list(await future)
        except asyncio.CancelledError:
            # Cancelled just after the statement committed but before this task resumed: undo it here (if it
            # had not run yet, the writer skips it; if it was running, the writer undoes it).
            if undo is not None and future.done() and not future.cancelled() and future.exception() is None:
                self._batcher.clean_up(undo(future.result()))
            raise

    async def run(
        self,
        work: Callable[[Any], Awaitable[T]],
        *,
        undo: Callable[[T], Awaitable[object]] | None = None,
        shielded: bool = False,
    ) -> T:
        """A unit of work (several statements) in one serializable transaction, retried whole on a conflict.
        `shielded`: it runs to the end even if the caller is cancelled (settlements must land)."""

        async def wrapped(conn: Any) -> T:
            return await work(PgConnection(conn, self._translate, self._checked))

        return await self._guarded(self._retried(wrapped), undo, shielded=shielded)

    async def _retried(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """`work` on a connection in a serializable transaction, retried on a serialization failure or deadlock."""
        if self._closed:
            raise LedgerError("the ledger is closed")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self._pool.acquire() as conn, conn.transaction(isolation="serializable"):
                    return await work(conn)
            except asyncpg.IntegrityConstraintViolationError as exc:
                # The parts (and their callers) see one error type for a refused write, whatever the database.
                raise sqlite3.IntegrityError(str(exc)) from exc
            except RETRYABLE:
                if attempt == MAX_ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        raise AssertionError("unreachable")

    async def _guarded(
        self, operation: Awaitable[T], undo: Callable[[T], Awaitable[object]] | None, *, shielded: bool
    ) -> T:
        """Run `operation` to its end even if the caller is cancelled meanwhile, when it must land (`shielded`)
        or be undone (`undo`): then the caller's cancellation takes effect once that is done, as with SQLite,
        whose writer undoes a cancelled request before the next one runs."""
        task = asyncio.ensure_future(operation)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not shielded and undo is None:
                task.cancel()
                raise
            try:
                result = await asyncio.shield(task)
            except asyncio.CancelledError:
                task.add_done_callback(lambda done: self._after_cancel(done, None if shielded else undo))
                raise
            except Exception:
                raise asyncio.CancelledError from None
            if undo is not None and not shielded:
                await asyncio.shield(undo(result))
            raise

    def _after_cancel(self, done: asyncio.Future[Any], undo: Callable[[Any], Awaitable[object]] | None) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        if undo is not None:
            cleanup = asyncio.ensure_future(undo(done.result()))
            cleanup.add_done_callback(_log_failure)


def _log_failure(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("cleaning up after a cancelled ledger request failed: %r", done.exception())
