"""Which database the ledger lives in: the SQLite file `[database] path`, or PostgreSQL when a
`postgresql://` URL (the environment's `DATABASE_URL`) is given."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from bot.ledger.db import Database
from bot.ledger.pg_db import PgDatabase
from bot.ledger.sqlite.holds import HOLD

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# Statements that check a server's budgets before they write: PostgreSQL runs them one server at a time.
CHECKED = (HOLD,)


def is_postgres(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


async def open_database(location: str | Path) -> Database:
    """The SQLite `Database` for a path, the `PgDatabase` for a PostgreSQL URL; both offer the same `statement`
    and `run`, which is all the ledger's parts use."""
    if is_postgres(location):
        return cast(Database, await PgDatabase.open(str(location), checked=CHECKED))
    return await Database.open(location)
