"""The database itself refuses to rewrite history or settle a hold wrongly, whatever code talks to it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest

from bot.ledger import Ledger
from bot.ledger.backends import is_postgres
from bot.ledger.pg_db import translate

from .conftest import ALICE, GUILD, MOD


class RawPostgres:
    """Any code talking to PostgreSQL directly (what aiosqlite's connection offers the SQLite tests)."""

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


@pytest.fixture
async def raw(ledger: Ledger, db_path: Path | str) -> AsyncIterator[Any]:
    """A connection of its own to the ledger's database, bypassing the `Ledger`."""
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=None)
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=5, actor_id=MOD)
    assert hold.id == 1
    if is_postgres(db_path):
        conn = await asyncpg.connect(str(db_path))
        try:
            yield RawPostgres(conn)
        finally:
            await conn.close()
        return
    async with aiosqlite.connect(db_path, isolation_level=None) as sqlite:
        await sqlite.execute("PRAGMA foreign_keys = ON")
        yield sqlite


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET amount = 0 WHERE id = 1",
        "UPDATE ledger SET reason = 'edited'",
        "DELETE FROM ledger WHERE id = 2",
        "DELETE FROM ledger",
    ],
)
async def test_ledger_lines_cannot_be_changed_or_deleted(raw: Any, statement: str) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await raw.execute(statement)
    rows = list(await raw.execute_fetchall("SELECT id, amount, reason FROM ledger ORDER BY id"))
    assert [tuple(row) for row in rows] == [(1, 100_000, ""), (2, 5, "")]


SETTLE = (
    "INSERT INTO ledger (kind, amount, guild_id, user_id, hold_id, period, period_start, counts_at, created_at)"
    " SELECT ?, ?, guild_id, ?, ?, period, period_start, counts_at, 0 FROM ledger WHERE id = 1"
)


@pytest.mark.parametrize(
    ("kind", "amount", "user_id", "hold_id"),
    [
        ("capture", 100_001, ALICE, 1),  # more than held
        ("release", 50_000, ALICE, 1),  # a release returns the whole hold
        ("capture", 10, ALICE + 1, 1),  # someone else's hold
        ("capture", 10, ALICE, 2),  # not a hold
        ("capture", -1, ALICE, 1),
    ],
)
async def test_a_settlement_must_match_an_open_hold(
    raw: Any, kind: str, amount: int, user_id: int, hold_id: int
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await raw.execute(SETTLE, (kind, amount, user_id, hold_id))


async def test_a_hold_cannot_be_settled_twice_even_by_hand(raw: Any) -> None:
    await raw.execute(SETTLE, ("capture", 100_000, ALICE, 1))
    with pytest.raises(sqlite3.IntegrityError):
        await raw.execute(SETTLE, ("release", 100_000, ALICE, 1))


async def test_adjustments_move_no_money(raw: Any) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await raw.execute(
            "INSERT INTO ledger (kind, amount, guild_id, period, period_start, counts_at, created_at)"
            " VALUES ('adjustment', 5, ?, 'month', 0, 0, 0)",
            (GUILD,),
        )
