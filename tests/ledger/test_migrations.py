"""Numbered migrations: from an empty file and from every earlier version to the same schema, data kept."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.ledger import LATEST_VERSION, Ledger, LedgerError, Migration, ResultImage, load_migrations, migrate
from bot.ledger.db import Database, connect, schema_version

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


@pytest.mark.parametrize("version", range(LATEST_VERSION))
async def test_every_earlier_version_upgrades_to_the_fresh_schema_and_keeps_its_data(
    tmp_path: Path, clock: Clock, version: int
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    await (await Ledger.open(fresh, default_allowance=DOLLAR, default_period="month")).close()

    old = tmp_path / "old.sqlite3"
    conn = await connect(old)
    assert await migrate(conn, target=version) == version
    at_version = Ledger(Database(conn), default_allowance=DOLLAR, default_period="month", clock=clock)
    await seed(at_version, version, message_id=555)
    await at_version.close()

    upgraded = await Ledger.open(old, default_allowance=DOLLAR, default_period="month", clock=clock)
    try:
        await seed(upgraded, LATEST_VERSION, message_id=556)  # everything works on the upgraded file
        assert (await upgraded.balance(GUILD, ALICE)).spent == 120_000 * (1 + (version >= 1))
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
