"""Fewer trips to the ledger per job, with the same outcomes: member defaults served from a cache that every
change invalidates, no release after a hold's settlement, and a batch whose transaction cannot start."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.ledger import Ledger, MemberSettings
from bot.ledger.db import Database, connect
from bot.ledger.sqlite import holds as hold_sql
from bot.ledger.sqlite import member_settings as settings_sql

from .conftest import ALICE, DOLLAR, GUILD, new_job


def count_statements(monkeypatch: pytest.MonkeyPatch, ledger: Ledger, sql: str) -> Callable[[], int]:
    """Count the statements `sql` sent to the ledger's database from now on."""
    db = ledger.context.db
    sent = db.statement
    seen: list[str] = []

    async def counting(statement: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(statement)
        return await sent(statement, *args, **kwargs)

    monkeypatch.setattr(db, "statement", counting)
    return lambda: seen.count(sql)


async def test_member_defaults_are_read_once_and_every_change_is_seen_at_once(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_statements(monkeypatch, ledger, settings_sql.SETTINGS)
    settings = ledger.member_settings
    assert await settings.get(GUILD, ALICE) == {}
    assert await settings.get(GUILD, ALICE) == {}
    assert reads() == 1  # the second came from the cache
    assert await settings.update(GUILD, ALICE, {"num_images": 2}) == {"num_images": 2}
    (await settings.get(GUILD, ALICE))["num_images"] = 3  # a caller changing its copy changes nothing here
    assert await settings.get(GUILD, ALICE) == {"num_images": 2}
    await settings.reset(GUILD, ALICE)
    assert await settings.get(GUILD, ALICE) == {}
    assert await settings.get(GUILD, ALICE + 1) == {}  # per member
    assert reads() == 4  # after each write once, and the other member's


async def test_a_change_made_elsewhere_is_seen_once_the_cached_read_is_older_than_the_ttl(ledger: Ledger) -> None:
    now = [0.0]
    settings = MemberSettings(ledger.context, ttl_s=30.0, monotonic=lambda: now[0])
    assert await settings.get(GUILD, ALICE) == {}
    await ledger.member_settings.update(GUILD, ALICE, {"model": "V_2"})  # as another process would
    now[0] = 29.0
    assert await settings.get(GUILD, ALICE) == {}
    now[0] = 30.0
    assert await settings.get(GUILD, ALICE) == {"model": "V_2"}


async def test_a_read_that_overlaps_a_change_is_not_cached(ledger: Ledger) -> None:
    settings = ledger.member_settings
    read, change = await asyncio.gather(
        settings.get(GUILD, ALICE), settings.update(GUILD, ALICE, {"aspect_ratio": "1x1"})
    )
    assert (read, change) == ({}, {"aspect_ratio": "1x1"})
    assert await settings.get(GUILD, ALICE) == {"aspect_ratio": "1x1"}


async def test_a_settled_hold_is_not_released_again_when_its_block_ends(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=DOLLAR, actor_id=ALICE)
    releases = count_statements(monkeypatch, ledger, hold_sql.RELEASE)
    job = await new_job(ledger)
    async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=DOLLAR // 2, job_id=job) as hold:
        await ledger.settle(hold, charged=DOLLAR // 4, written_off=0, reason="job")
    assert releases() == 0
    other = await new_job(ledger)
    async with ledger.holding(guild_id=GUILD, user_id=ALICE, amount=DOLLAR // 2, job_id=other):
        pass  # never settled: released at the end, as before
    assert releases() == 1
    balance = await ledger.balance(GUILD, ALICE)
    assert (balance.spent, balance.held) == (DOLLAR // 4, 0)


async def test_a_batch_whose_transaction_cannot_start_runs_each_statement_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = await connect(path)
    await conn.execute("CREATE TABLE t (v INTEGER NOT NULL)")
    await conn.execute("PRAGMA busy_timeout = 20")
    db = Database(conn)
    other = await connect(path)
    try:
        await other.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
        read, write = await asyncio.gather(
            db.statement("SELECT COUNT(*) FROM t"), db.statement("INSERT INTO t VALUES (1)"), return_exceptions=True
        )
        assert isinstance(read, list)
        assert read[0][0] == 0  # a read needs no write lock: it ran on its own
        assert isinstance(write, sqlite3.OperationalError)  # the write could not: only its caller is told
        await other.execute("ROLLBACK")
        await asyncio.gather(db.statement("INSERT INTO t VALUES (2)"), db.statement("INSERT INTO t VALUES (3)"))
        assert [tuple(row) for row in await db.statement("SELECT v FROM t ORDER BY v")] == [(2,), (3,)]
    finally:
        await db.close()
        await other.close()
