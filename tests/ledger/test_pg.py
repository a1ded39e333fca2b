"""PostgreSQL plumbing: connecting from DATABASE_URL without ever showing its password, and migrations that
several processes starting at once apply exactly once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.ledger import LedgerError
from bot.ledger.pg import PG_LATEST_VERSION, load_pg_migrations, migrate_pg, open_pool, redact, schema_version
from tests.postgres import PostgresServer


def test_redact_keeps_where_and_drops_the_password() -> None:
    assert redact("postgresql://bot:s3cret@db.example:5432/ledger") == "postgresql://bot:***@db.example:5432/ledger"
    assert redact("postgresql://db/ledger") == "postgresql://db/ledger"
    assert "s3cret" not in redact("postgresql://bot:s3cret@[::1/ledger")


def test_migration_files_are_numbered_from_one_without_gaps() -> None:
    assert [m.version for m in load_pg_migrations()] == list(range(1, PG_LATEST_VERSION + 1))


async def test_a_wrong_password_is_refused_without_showing_it(postgres: PostgresServer) -> None:
    url = postgres.url().replace(postgres.password, "not-the-password-42")
    with pytest.raises(LedgerError) as refused:
        await open_pool(url)
    assert "not-the-password-42" not in str(refused.value)
    assert f"127.0.0.1:{postgres.port}" in str(refused.value)


async def test_processes_starting_together_migrate_once(postgres_url: str) -> None:
    pools = await asyncio.gather(*(open_pool(postgres_url, max_size=2) for _ in range(4)))
    try:
        async with pools[0].acquire() as conn:
            assert await schema_version(conn) == PG_LATEST_VERSION
            versions = await conn.fetch("SELECT version FROM schema_version ORDER BY version")
            assert [row["version"] for row in versions] == list(range(1, PG_LATEST_VERSION + 1))
            assert await migrate_pg(conn) == PG_LATEST_VERSION  # nothing left to do
    finally:
        for pool in pools:
            await pool.close()


async def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        await migrate_pg(conn)
        await conn.execute("INSERT INTO schema_version VALUES ($1)", PG_LATEST_VERSION + 1)
        with pytest.raises(LedgerError, match="newer than this bot's"):
            await migrate_pg(conn)
    finally:
        await conn.close()
