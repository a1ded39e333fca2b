"""Numbered migrations: from an empty file and from every earlier version to the same schema, data kept."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.ledger import LATEST_VERSION, Ledger, LedgerError, Migration, ResultImage, load_migrations, migrate
from bot.ledger.db import connect, schema_version
from bot.ledger.periods import period_bounds, to_us

from .conftest import ALICE, DOLLAR, GUILD, Clock, new_job


async def schema(path: Path) -> list[tuple[str, str, str]]:
    async with aiosqlite.connect(path) as conn:
        rows = await conn.execute_fetchall(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        )
        return [tuple(row) for row in rows]


def test_migration_files_are_numbered_from_one_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, LATEST_VERSION + 1))
    assert migrations[0].name == "initial"
    assert all(m.sql.strip() for m in migrations)


async def test_an_empty_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "bot.sqlite3"
    ledger = await Ledger.open(path, default_allowance=DOLLAR, default_period="month")
    await ledger.close()
    async with aiosqlite.connect(path) as conn:
        assert (await (await conn.execute("PRAGMA user_version")).fetchone()) == (LATEST_VERSION,)
        assert (await (await conn.execute("PRAGMA journal_mode")).fetchone()) == ("wal",)
    assert {"ledger", "jobs", "result_images", "state", "guild_settings"} <= {name for _, name, _ in await schema(path)}


async def seed(ledger: Ledger, version: int, message_id: int) -> None:
    """Use what the schema offers at `version`, so the upgrade has data to carry."""
    if version >= 1:
        job = await new_job(ledger)
        hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=300_000, job_id=job)
        await ledger.capture(hold, 120_000)
        if version >= 2:
            image = ResultImage(0, 77, "https://cdn/x.png", "ab" * 32, True, 9, "a cat")
            await ledger.finish_job(job, cost=120_000, message_id=message_id, seed=9, images=[image])
        if version >= 3:
            await ledger.set_state("commands", "hash-1")


async def seed_old(conn: aiosqlite.Connection, version: int, clock: Clock, message_id: int) -> None:
    """What a bot at `version` (before V4) wrote, in its own statements: a job charged $0.12 of a $0.30 hold,
    and an open hold of $0.20 left by a crash."""
    if version < 1:
        return
    now = to_us(clock.now)
    start = to_us(period_bounds("month", clock.now)[0])
    await conn.execute(
        "INSERT INTO jobs (id, guild_id, channel_id, user_id, command, operation, parameters, prompt, created_at)"
        " VALUES (1, ?, 55, ?, 'imagine', 'generate', '{}', 'a cat', ?), (2, ?, 55, ?, 'imagine', 'generate', '{}',"
        " 'a dog', ?)",
        (GUILD, ALICE, now, GUILD, ALICE, now),
    )
    entry = (
        "INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id, period,"
        " period_start, counts_at, created_at) VALUES (?, ?, ?, ?, ?, '', ?, ?, 'month', ?, ?, ?)"
    )
    await conn.execute(entry, ("hold", 300_000, GUILD, ALICE, ALICE, 1, None, start, now, now))
    await conn.execute(entry, ("capture", 120_000, GUILD, ALICE, ALICE, 1, 1, start, now, now))
    await conn.execute(entry, ("hold", 200_000, GUILD, ALICE, ALICE, 2, None, start, now, now))
    if version >= 2:
        await conn.execute(
            "UPDATE jobs SET status = 'succeeded', cost = 120000, message_id = ? WHERE id = 1", (message_id,)
        )
        await conn.execute(
            "INSERT INTO result_images (job_id, idx, attachment_id, url, sha256, is_safe, seed, prompt)"
            " VALUES (1, 0, 77, 'https://cdn/x.png', ?, 1, 9, 'a cat')",
            ("ab" * 32,),
        )
    if version >= 3:
        await conn.execute("INSERT INTO state (key, value) VALUES ('commands', 'hash-1')")


@pytest.mark.parametrize("version", range(LATEST_VERSION))
async def test_every_earlier_version_upgrades_to_the_fresh_schema_and_keeps_its_data(
    tmp_path: Path, clock: Clock, version: int
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    await (await Ledger.open(fresh, default_allowance=DOLLAR, default_period="month")).close()

    old = tmp_path / "old.sqlite3"
    conn = await connect(old)
    assert await migrate(conn, target=version) == version
    await seed_old(conn, version, clock, message_id=555)
    await conn.close()

    upgraded = await Ledger.open(old, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        assert await upgraded.recover() == (version >= 1)  # the old open hold is this instance's
        await seed(upgraded, LATEST_VERSION, message_id=556)  # everything works on the upgraded file
        balance = await upgraded.balance(GUILD, ALICE)
        assert (balance.spent, balance.held) == (120_000 * (1 + (version >= 1)), 0)
        report = await upgraded.report(GUILD, "month")
        assert (report.captured, report.paid, report.held) == (balance.spent, balance.spent, 0)
        for message_id in (555, 556) if version >= 2 else (556,):
            result = await upgraded.find_result(message_id)
            assert result is not None
            assert result.images[0].attachment_id == 77
        assert await upgraded.get_state("commands") == "hash-1"
    finally:
        await upgraded.close()
    assert await schema(old) == await schema(fresh)


async def test_a_database_from_a_newer_bot_is_refused(sqlite_path: Path) -> None:
    # PostgreSQL's counterpart: tests/ledger/test_pg.py
    await (await Ledger.open(sqlite_path, default_allowance=DOLLAR, default_period="month")).close()
    async with aiosqlite.connect(sqlite_path) as conn:
        await conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(LedgerError, match="newer"):
        await Ledger.open(sqlite_path, default_allowance=DOLLAR, default_period="month")


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    migrations = [
        Migration(1, "good", "CREATE TABLE kept (x INTEGER);"),
        Migration(2, "bad", "CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);"),
    ]
    conn = await connect(tmp_path / "m.sqlite3")
    try:
        with pytest.raises(LedgerError, match="V2__bad"):
            await migrate(conn, migrations)
        assert await schema_version(conn) == 1
        tables = {row[0] for row in await conn.execute_fetchall("SELECT name FROM sqlite_master")}
        assert tables == {"kept"}
        assert not conn.in_transaction
    finally:
        await conn.close()
