"""The database itself refuses to rewrite history or settle a hold wrongly, whatever code talks to it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.ledger import Ledger

from .conftest import ALICE, BOB, DOLLAR, GUILD, MOD, Clock, new_job
from .raw import raw_connection


@pytest.fixture
async def raw(ledger: Ledger, db_path: Path | str) -> AsyncIterator[Any]:
    """A connection of its own to the ledger's database, bypassing the `Ledger`."""
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=None)
    await ledger.grant(guild_id=GUILD, user_id=ALICE, amount=5, actor_id=MOD)
    assert hold.id == 1
    async with raw_connection(db_path) as conn:
        yield conn


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
        ("write-off", 100_001, ALICE, 1),  # more than is left of the hold
        ("uncertain", 50_000, ALICE, 1),  # an uncertain entry takes the whole hold
        ("write-off", 10, ALICE + 1, 1),
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


REFUND = (
    "INSERT INTO ledger (kind, amount, guild_id, user_id, job_id, period, period_start, counts_at, created_at)"
    " SELECT 'refund', ?, guild_id, ?, job_id, period, period_start, counts_at, 0 FROM ledger"
    " WHERE kind = 'capture' AND job_id = ?"
)


async def test_a_refund_returns_exactly_what_its_job_captured_to_its_member_once(
    ledger: Ledger, db_path: Path | str
) -> None:
    job = await new_job(ledger)
    await ledger.capture(await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=job), 70_000)
    async with raw_connection(db_path) as raw:
        for amount, user_id in ((69_999, ALICE), (70_001, ALICE), (70_000, BOB)):
            with pytest.raises(sqlite3.IntegrityError):
                await raw.execute(REFUND, (amount, user_id, job))
        await raw.execute(REFUND, (70_000, ALICE, job))  # the one refund that matches lands
        with pytest.raises(sqlite3.IntegrityError):
            await raw.execute(REFUND, (70_000, ALICE, job))
    assert (await ledger.balance(GUILD, ALICE)).spent == 0


async def test_postgres_refuses_to_truncate_the_ledger(postgres_url: str, clock: Clock) -> None:
    # TRUNCATE skips row triggers, so PostgreSQL has a statement trigger for it. (SQLite has no TRUNCATE: its
    # `DELETE FROM ledger`, refused above, is what would empty the table.)
    ledger = await Ledger.open(postgres_url, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=100_000, job_id=None)
        async with raw_connection(postgres_url) as raw:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                await raw.execute("TRUNCATE ledger CASCADE")
        assert len(await ledger.entries(GUILD)) == 1
        assert (await ledger.balance(GUILD, ALICE)).held == 100_000
    finally:
        await ledger.close()
