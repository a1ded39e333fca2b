"""Moving up: copy a SQLite ledger into an empty PostgreSQL database (`python -m bot migrate-ledger`), so a
community that outgrows one process keeps its history.

Everything is copied in one PostgreSQL transaction, each table in key order with its ids kept, except the tables
the ledger's triggers derive (open holds, per-day totals): the triggers rebuild those from the copied entries, and
the copy is kept only if they come out the same as SQLite's, row for row (so every balance, hold and total
agrees), and every table has as many rows as in SQLite. Otherwise nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiosqlite

from bot.ledger.errors import LedgerError
from bot.ledger.ledger import Ledger
from bot.ledger.pg import open_pool

log = logging.getLogger(__name__)

# Filled by the ledger's triggers from the entries; copied by replaying the entries, then compared.
DERIVED: Final = ("open_holds", "member_days", "guild_days", "operator_days")
# Of these, per-day counters: a row of zeros says nothing, and SQLite's V7 left those out when it rebuilt the
# operator's stripes from older history, so they are left out of the comparison.
COUNTERS: Final = ("member_days", "guild_days", "operator_days")
# PostgreSQL's own bookkeeping: never copied.
POSTGRES_ONLY: Final = ("schema_version", "api_leases")


@dataclass(frozen=True, slots=True)
class MoveReport:
    rows: dict[str, int]  # copied rows per table
    derived: dict[str, int]  # rebuilt rows per derived table, each equal to SQLite's
    spent: int | None  # all servers' captures, the same in both (None: no per-day totals in this schema)
    held: int | None


async def _tables_in_order(conn: aiosqlite.Connection) -> list[str]:
    """SQLite's tables, each after the tables it references."""
    rows = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    tables = sorted(row[0] for row in rows)
    needs = {}
    for table in tables:
        foreign = await conn.execute_fetchall(f'PRAGMA foreign_key_list("{table}")')
        needs[table] = {row[2] for row in foreign} - {table}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and needs[t] <= set(ordered)]
        if not ready:
            raise LedgerError(f"circular references between {sorted(set(tables) - set(ordered))}")
        ordered.extend(ready)
    return ordered


async def _key(conn: aiosqlite.Connection, table: str) -> list[str]:
    columns = await conn.execute_fetchall(f'PRAGMA table_info("{table}")')
    return [row[1] for row in sorted(columns, key=lambda row: row[5]) if row[5]]


async def _rows(conn: aiosqlite.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = [row[1] for row in await conn.execute_fetchall(f'PRAGMA table_info("{table}")')]
    order = ", ".join(f'"{column}"' for column in (await _key(conn, table) or columns))
    selected = ", ".join(f'"{column}"' for column in columns)
    rows = await conn.execute_fetchall(f'SELECT {selected} FROM "{table}" ORDER BY {order}')
    return columns, [tuple(row) for row in rows]


def _some(rows: list[tuple[Any, ...]], counters: list[int]) -> list[tuple[Any, ...]]:
    """The rows with a counter (a column at one of the places `counters`) that is not zero."""
    return [row for row in rows if any(row[index] for index in counters)]


async def move_ledger(sqlite_path: Path, url: str) -> MoveReport:
    """Copy the ledger at `sqlite_path` (brought up to date first) into the empty PostgreSQL database at `url`."""
    if not await asyncio.to_thread(sqlite_path.exists):
        raise LedgerError(f"there is no SQLite ledger at {sqlite_path} ([database] path)")
    await (await Ledger.open(sqlite_path, default_allowance=0, default_period="month")).close()  # migrate
    pool = await open_pool(url, max_size=1)
    try:
        async with aiosqlite.connect(sqlite_path) as source, pool.acquire() as target, target.transaction():
            tables = [t for t in await _tables_in_order(source) if t not in POSTGRES_ONLY]
            present = {
                r["tablename"]
                for r in await target.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            }
            for table in tables:
                if table not in present:
                    raise LedgerError(f"the PostgreSQL database has no table {table}: is this bot's version older?")
                if await target.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                    raise LedgerError(f"the PostgreSQL database is not empty ({table} has rows); use an empty one")
            copied: dict[str, int] = {}
            for table in tables:
                if table in DERIVED:
                    continue
                columns, rows = await _rows(source, table)
                if rows:  # one INSERT per row (not COPY): each entry's triggers run before the next entry's checks
                    names = ", ".join(f'"{column}"' for column in columns)
                    values = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
                    await target.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({values})', rows)
                copied[table] = len(rows)
                identity = "id" in columns and await target.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
                if identity and rows:
                    await target.execute(f'SELECT setval($1, (SELECT max(id) FROM "{table}"))', identity)
            derived = {}
            for table in DERIVED:
                if table not in tables:
                    continue
                columns, expected = await _rows(source, table)
                order = ", ".join(f'"{c}"' for c in await _key(source, table))
                actual = [
                    tuple(record)
                    for record in await target.fetch(
                        f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)} FROM "{table}" ORDER BY {order}'
                    )
                ]
                if table in COUNTERS:
                    key = await _key(source, table)
                    counters = [index for index, column in enumerate(columns) if column not in key]
                    actual, expected = _some(actual, counters), _some(expected, counters)
                if actual != expected:
                    raise LedgerError(f"the copy does not add up: {table} differs from SQLite's; nothing was written")
                derived[table] = len(actual)
            for table, count in copied.items():
                if await target.fetchval(f'SELECT count(*) FROM "{table}"') != count:
                    raise LedgerError(f"the copy does not add up: {table} has a different number of rows")
            spent = held = None
            if "guild_days" in derived:
                totals = "SELECT COALESCE(SUM(spent), 0), COALESCE(SUM(held), 0) FROM guild_days"
                spent, held = next(iter(await source.execute_fetchall(totals)))
                if tuple(await target.fetchrow(totals)) != (spent, held):
                    raise LedgerError("the copy does not add up: the totals differ; nothing was written")
    finally:
        await pool.close()
    log.info("copied the ledger to PostgreSQL: %s", ", ".join(f"{t} {n}" for t, n in copied.items()))
    return MoveReport(rows=copied, derived=derived, spent=spent, held=held)
