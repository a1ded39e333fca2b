"""`python -m bot migrate-ledger`: copy the SQLite ledger (`[database] path`) into the empty PostgreSQL database
named by DATABASE_URL, checked (see `bot.ledger.move`). Stop the bot first; start it with DATABASE_URL after."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Final

from bot.config import ConfigError, parse_settings, read_config
from bot.ledger import LedgerError
from bot.ledger.move import move_ledger
from bot.money import format_amount

NO_URL: Final = (
    "migrate-ledger: set DATABASE_URL to the empty PostgreSQL database to copy into "
    "(postgresql://user:password@host:5432/database)"
)
DONE: Final = "Copied the ledger from {path} to PostgreSQL and checked it: {rows}. Start the bot with DATABASE_URL set."


def migrate_ledger_command(config_path: Path | None, environ: dict[str, str] | None = None) -> int:
    """0 copied and checked; 1 nothing was written (the reason on one line); 2 bad configuration."""
    environ = dict(os.environ) if environ is None else environ
    try:
        data, _ = read_config(config_path)
        settings = parse_settings(data, source=str(config_path or "config.toml"))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        print(NO_URL, file=sys.stderr)
        return 2
    try:
        report = asyncio.run(move_ledger(settings.database.path, url))
    except LedgerError as exc:
        print(f"migrate-ledger: {exc}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{count} {table}" for table, count in report.rows.items())
    print(DONE.format(path=settings.database.path, rows=rows))
    if report.spent is not None and report.held is not None:
        print(f"Spent in total: {format_amount(report.spent)}; held: {format_amount(report.held)}.")
    return 0
