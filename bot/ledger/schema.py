"""The SQLite file: opening it with the ledger's pragmas, and its numbered migrations (`migrations/V{n}__{name}.sql`,
applied in order, each in its own transaction with the new `user_version`). `bot.ledger.pg` applies
`migrations_pg/` the same way."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final

import aiosqlite

from bot.ledger.errors import LedgerError

log = logging.getLogger(__name__)

MIN_SQLITE: Final = (3, 37, 0)  # STRICT tables; RETURNING needs 3.35
BUSY_TIMEOUT_MS: Final = 5_000
_MIGRATION_NAME: Final = re.compile(r"^V(?P<version>\d+)__(?P<name>\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(folder: str = "migrations") -> tuple[Migration, ...]:
    """The package's `{folder}/V{n}__{name}.sql` files in order; their numbers must run 1, 2, 3, …
    (`migrations/` for SQLite, `migrations_pg/` for PostgreSQL)."""
    found: list[Migration] = []
    for resource in files("bot.ledger").joinpath(folder).iterdir():
        match = _MIGRATION_NAME.match(resource.name)
        if match is not None:
            found.append(Migration(int(match["version"]), match["name"], resource.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise LedgerError(f"migration versions must be 1..n without gaps, found {versions}")
    return tuple(found)


MIGRATIONS: Final = load_migrations()
LATEST_VERSION: Final = len(MIGRATIONS)


async def schema_version(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("PRAGMA user_version")
    return int(next(iter(rows))[0])


async def migrate(
    conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS, *, target: int | None = None
) -> int:
    """Apply the migrations above the database's `user_version` (up to `target`), each in its own
    transaction together with the new version number; return the version reached.

    Foreign keys are off while a migration runs and checked before it commits, as SQLite documents for
    schema changes: a migration may rebuild a table that others refer to (to change a CHECK constraint)."""
    current = await schema_version(conn)
    latest = len(migrations)
    if current > latest:
        raise LedgerError(f"the database is at schema version {current}, newer than this bot's {latest}")
    pending = migrations[current : latest if target is None else target]
    if not pending:
        return current
    await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for migration in pending:
            await _apply(conn, migration)
    finally:
        await conn.execute("PRAGMA foreign_keys = ON")
    return await schema_version(conn)


async def _apply(conn: aiosqlite.Connection, migration: Migration) -> None:
    log.info("migrating the database to version %d (%s)", migration.version, migration.name)
    try:
        await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};")
        broken = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
        if broken:
            raise sqlite3.IntegrityError(f"foreign keys broken in {sorted({row[0] for row in broken})}")
        await conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise LedgerError(f"migration V{migration.version}__{migration.name} failed: {exc}") from exc


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open the file (creating its directory) with WAL, foreign keys and a busy timeout, in autocommit mode:
    transactions are always explicit."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise LedgerError(f"SQLite {sqlite3.sqlite_version} is too old; the ledger needs 3.37 or newer")
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        # With WAL, NORMAL loses no committed data on a process crash, only possibly the last commits on
        # power loss, and it saves an fsync per commit.
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await conn.close()
        raise
    return conn
