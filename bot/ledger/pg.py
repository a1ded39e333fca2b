"""PostgreSQL: the connection pool from `DATABASE_URL` and numbered migrations in `migrations_pg/`.

`DATABASE_URL` holds a password: it is never logged or put in an error message (see `redact`). Several processes
may start at once against one database; migrations run under an advisory lock, all in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import asyncpg

from bot.ledger.db import Migration, load_migrations
from bot.ledger.errors import LedgerError

log = logging.getLogger(__name__)

MIGRATION_LOCK: Final = 0x1DE0_6A4D  # advisory lock key: one process migrates at a time
CONNECT_TIMEOUT_S: Final = 10.0


def load_pg_migrations() -> tuple[Migration, ...]:
    """The package's `migrations_pg/V{n}__{name}.sql` files in order; their numbers must run 1, 2, 3, …"""
    return load_migrations("migrations_pg")


PG_MIGRATIONS: Final = load_pg_migrations()
PG_LATEST_VERSION: Final = len(PG_MIGRATIONS)


def redact(url: str) -> str:
    """The URL without its password, for messages: `postgresql://bot:***@db:5432/ledger`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "DATABASE_URL (not a valid URL)"
    user = f"{parts.username}:***@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


async def schema_version(conn: Any) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


async def migrate_pg(conn: Any, migrations: Sequence[Migration] = PG_MIGRATIONS, *, target: int | None = None) -> int:
    """Apply the migrations above the database's version (up to `target`) in one transaction; return the
    version reached. Concurrent callers wait for each other on an advisory lock."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY)")
        current = await schema_version(conn)
        if current > len(migrations):
            raise LedgerError(f"the database is at schema version {current}, newer than this bot's {len(migrations)}")
        for migration in migrations[current : len(migrations) if target is None else target]:
            log.info("migrating PostgreSQL to version %d (%s)", migration.version, migration.name)
            try:
                await conn.execute(migration.sql)
            except asyncpg.PostgresError as exc:
                raise LedgerError(f"PostgreSQL migration V{migration.version}__{migration.name} failed: {exc}") from exc
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", migration.version)
        return await schema_version(conn)


async def open_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, server_settings: dict[str, str] | None = None
) -> Any:
    """Connect (an `asyncpg.Pool`) and bring the schema up to date. Errors name the server, never the password."""
    try:
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, timeout=CONNECT_TIMEOUT_S, server_settings=server_settings
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        raise LedgerError(f"cannot connect to PostgreSQL at {redact(url)}: {type(exc).__name__}") from None
    try:
        async with pool.acquire() as conn:
            await migrate_pg(conn)
    except BaseException:
        await pool.close()
        raise
    return pool


async def probe(url: str) -> int:
    """Log in to the database at `url` and read its schema version (0: empty), changing nothing."""
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if isinstance(exc, asyncpg.PostgresError) else type(exc).__name__
        raise LedgerError(f"PostgreSQL at {redact(url)} refused the connection ({reason})") from None
    try:
        return await schema_version(conn)
    finally:
        await conn.close()
