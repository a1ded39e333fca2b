"""Talking to the ledger's database directly, bypassing the `Ledger`, in SQLite's SQL on either backend: what
any other code with the database's address could do (the append-only tests), or what an older bot wrote (the
upgrade tests)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bot.ledger.backends import is_postgres
from bot.ledger.pg_sql import translate


class RawPostgres:
    """An asyncpg connection offering what aiosqlite's does to these tests: SQLite's `?` placeholders, and
    the database's refusals raised as `sqlite3.IntegrityError`."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
        query, args = translate(sql, parameters, {})
        try:
            return list(await self.conn.fetch(query, *args))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise sqlite3.IntegrityError(str(exc)) from exc

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
        return await self.execute_fetchall(sql, parameters)


@asynccontextmanager
async def raw_connection(location: Path | str) -> AsyncIterator[Any]:
    """A connection of its own to the database at `location` (a SQLite file or a PostgreSQL URL), each
    statement committed on its own."""
    if is_postgres(location):
        conn = await asyncpg.connect(str(location))
        try:
            yield RawPostgres(conn)
        finally:
            await conn.close()
        return
    async with aiosqlite.connect(location, isolation_level=None) as sqlite:
        await sqlite.execute("PRAGMA foreign_keys = ON")
        yield sqlite
