"""`python -m bot --check-config`: everything the bot needs before it starts, every problem at once.

It says which file it read (or that it used the built-in defaults), checks every key, every secret and the
database, prints what it found on stdout and each problem as one `configuration error:` line on stderr.
Exit code 0 when there is nothing to fix, 2 otherwise. It never prints a secret and never changes anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, describe_errors, missing_secrets, read_config

DATABASE_URL_VARIABLE: Final = "DATABASE_URL"
DATABASE_TIMEOUT_S: Final = 10.0

READ: Final = "read {path}"
DEFAULTS: Final = "no {path} in {cwd}: using the built-in defaults (copy config.example.toml to change them)"
MISSING_SECRET: Final = "environment variable {name} is not set (secrets come only from the environment)"
SQLITE_EXISTS: Final = "database: {path} (SQLite, schema version {version}), writable"
SQLITE_NEW: Final = "database: {path} does not exist yet; the bot will create it (its folder is writable)"
POSTGRES_READY: Final = "database: PostgreSQL at {where} (from {variable}), schema version {version}, logged in"
OK: Final = "configuration OK"


def check_config(path: Path | None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    found: list[str] = []
    problems: list[str] = []
    settings: Settings | None = None
    try:
        data, read = read_config(path)
    except ConfigError as exc:
        problems.append(str(exc))
    else:
        found.append(
            READ.format(path=read.resolve()) if read else DEFAULTS.format(path=DEFAULT_CONFIG_PATH, cwd=Path.cwd())
        )
        source = str(read or DEFAULT_CONFIG_PATH)
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            problems.extend(f"{source}: {line}" for line in describe_errors(exc))
    problems.extend(MISSING_SECRET.format(name=name) for name in missing_secrets(environ))
    if settings is not None:
        database_url = environ.get(DATABASE_URL_VARIABLE, "").strip()
        note, problem = (
            asyncio.run(check_postgres(database_url)) if database_url else check_sqlite(settings.database.path)
        )
        found.extend([note] if note else [])
        problems.extend([problem] if problem else [])
    for line in found:
        print(line)
    for problem in problems:
        print(f"configuration error: {problem}", file=sys.stderr)
    if problems:
        return 2
    print(OK)
    return 0


def check_sqlite(path: Path) -> tuple[str | None, str | None]:
    """(what was found, the problem): the file opens read-write, or its folder can be created and written."""
    if path.is_dir():
        return None, f"[database] path: {path} is a folder; name a file in it, e.g. {path / 'bot.sqlite3'}"
    if path.exists():
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True)) as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                db.execute("BEGIN IMMEDIATE")  # takes the write lock: fails on a read-only file or filesystem
                db.rollback()
        except sqlite3.Error as exc:
            return None, f"[database] path: cannot open {path} for writing: {exc}"
        return SQLITE_EXISTS.format(path=path, version=version), None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return None, f"[database] path: cannot create {path}: {folder} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return None, f"[database] path: cannot create {path}: {folder} is not writable ({exc.strerror})"
    return SQLITE_NEW.format(path=path), None


async def check_postgres(url: str) -> tuple[str | None, str | None]:
    """DATABASE_URL has the right shape and its server accepts connections. Never shows the URL (a password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        return None, f"{DATABASE_URL_VARIABLE} must look like postgresql://user:password@host:5432/database"
    where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
    # First whether anything answers there (a clear "connection refused"), then log in and read the schema
    # version without changing anything.
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, parts.port or 5432), DATABASE_TIMEOUT_S
        )
    except (OSError, TimeoutError) as exc:
        reason = (
            "no answer"
            if isinstance(exc, TimeoutError)
            else (os.strerror(exc.errno) if exc.errno else str(exc)).lower()
        )
        return None, f"{DATABASE_URL_VARIABLE}: cannot reach PostgreSQL at {where} ({reason})"
    writer.close()
    from bot.ledger import LedgerError
    from bot.ledger.pg import PG_LATEST_VERSION, probe

    try:
        version = await probe(url)
    except LedgerError as exc:
        return None, f"{DATABASE_URL_VARIABLE}: {exc}"
    if version > PG_LATEST_VERSION:
        return None, f"{DATABASE_URL_VARIABLE}: the database is at schema version {version}, newer than this bot's"
    return POSTGRES_READY.format(where=where, variable=DATABASE_URL_VARIABLE, version=version), None
