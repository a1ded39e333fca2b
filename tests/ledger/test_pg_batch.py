"""PostgreSQL's batches (`bot.ledger.pg_batch`): statements queued together commit together, those of one text in
one round trip; each caller still gets exactly its own rows or its own error."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.ledger.pg_db import PgDatabase

UPSERT = "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = state.value || excluded.value"
APPEND = UPSERT + " RETURNING value"
INSERT = "INSERT INTO state (key, value) VALUES (?, ?)"
FROM_KEY = "SELECT key FROM state WHERE key >= ?"  # pipelined with its kind (in no particular order)
SORTED_FROM_KEY = FROM_KEY + " ORDER BY key DESC"  # one at a time, so the order holds


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[PgDatabase]:
    database = await PgDatabase.open(postgres_url)
    try:
        yield database
    finally:
        await database.close()


async def test_statements_of_one_text_each_get_their_own_rows(db: PgDatabase) -> None:
    for key in ("b", "c", "d"):
        await db.statement(INSERT, (key, key))
    rows = await asyncio.gather(*(db.statement(FROM_KEY, (start,)) for start in ("e", "d", "a", "c")))
    assert [sorted(each) for each in rows] == [[], [("d",)], [("b",), ("c",), ("d",)], [("c",), ("d",)]]
    rows = await asyncio.gather(*(db.statement(SORTED_FROM_KEY, (start,)) for start in ("d", "a")))
    assert rows == [[("d",)], [("d",), ("c",), ("b",)]]


async def test_statements_of_one_text_see_the_ones_queued_before_them(db: PgDatabase) -> None:
    rows = await asyncio.gather(*(db.statement(APPEND, ("k", letter)) for letter in "abc"))
    assert rows == [[("a",)], [("ab",)], [("abc",)]]


async def test_a_failing_statement_among_others_of_its_text_fails_alone(db: PgDatabase) -> None:
    await db.statement(INSERT, ("taken", "x"))
    outcomes = await asyncio.gather(
        *(db.statement(INSERT, (key, "y")) for key in ("one", "taken", "two")),
        db.statement(UPSERT, ("three", "z")),
        return_exceptions=True,
    )
    assert [outcomes[0], outcomes[2], outcomes[3]] == [[], [], []]
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    stored = await db.statement("SELECT key, value FROM state ORDER BY key")
    assert stored == [("one", "y"), ("taken", "x"), ("three", "z"), ("two", "y")]


CHECKED = "INSERT INTO state (key, value) VALUES (:key, :value) RETURNING key"  # with a server's lock, as holds


async def test_a_connection_lost_between_batches_costs_the_next_one_nothing(postgres_url: str) -> None:
    db = await PgDatabase.open(postgres_url, checked=[CHECKED])
    try:
        await db.statement(INSERT, ("before", "x"))
        killer = await asyncpg.connect(postgres_url)
        try:
            killed = await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await killer.close()
        assert killed >= 1  # the writer's connection among them
        # A batch that takes a lock begins with BEGIN: lost there, nothing of it was sent, so it runs again.
        assert await db.statement(CHECKED, {"key": "after", "value": "y", "guild_id": 1}) == [("after",)]
        assert await db.statement("SELECT key FROM state ORDER BY key") == [("after",), ("before",)]
    finally:
        await db.close()
