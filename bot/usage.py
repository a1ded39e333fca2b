"""`python -m bot usage`: what the ledger says AiHubMix should have billed, per server and in total.

For each server: captured from members, write-offs (billed, not charged to members), uncertain (the outcome is
unknown: the request may or may not have been billed) and their sum, to hold against the AiHubMix bill. It reads
the ledger and changes nothing; it needs the settings (for the database) but no secrets.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from bot.config import ConfigError, parse_settings, read_config
from bot.ledger import UsageRow
from bot.money import format_amount, plain_amount
from bot.startup import Unreachable

CSV_COLUMNS: Final = ("guild_id", "captured_usd", "write_offs_usd", "uncertain_usd", "billed_usd", "refunded_usd")
TEXT_HEADER: Final = ("server", "captured", "write-offs", "uncertain", "billed", "refunded")
TOTAL: Final = "total"
TITLE_SINCE: Final = "Usage from the ledger since {since} (UTC), in US$:"
TITLE_ALL: Final = "Usage from the ledger, all time, in US$:"
NOTHING: Final = "Nothing was captured, written off or uncertain in that time."
FOOTNOTE: Final = (
    "billed = captured + write-offs + uncertain: what AiHubMix should have billed (uncertain requests may not "
    "have been billed). refunded: given back to members by moderators, out of what was captured."
)


@dataclass(frozen=True)
class UsageLine:
    label: str
    captured: int
    written_off: int
    uncertain: int
    refunded: int

    @property
    def billed(self) -> int:
        return self.captured + self.written_off + self.uncertain


def usage_lines(rows: Iterable[UsageRow]) -> list[UsageLine]:
    """One line per server (by id), then the total (added up here; a total row from the ledger is skipped)."""
    servers = sorted((row for row in rows if row.guild_id is not None), key=lambda row: row.guild_id or 0)
    lines = [UsageLine(str(r.guild_id), r.captured, r.written_off, r.uncertain, r.refunded) for r in servers]
    total = UsageLine(
        TOTAL,
        sum(line.captured for line in lines),
        sum(line.written_off for line in lines),
        sum(line.uncertain for line in lines),
        sum(line.refunded for line in lines),
    )
    return [*lines, total]


def _amounts(line: UsageLine) -> tuple[int, ...]:
    return line.captured, line.written_off, line.uncertain, line.billed, line.refunded


def format_text(lines: Sequence[UsageLine], since: datetime | None) -> str:
    title = TITLE_SINCE.format(since=since.date().isoformat()) if since else TITLE_ALL
    if len(lines) == 1:
        return f"{title}\n{NOTHING}\n"
    table = [TEXT_HEADER] + [(line.label, *(format_amount(v) for v in _amounts(line))) for line in lines]
    widths = [max(len(row[column]) for row in table) for column in range(len(TEXT_HEADER))]
    rendered = [
        "  ".join(
            [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        )
        for row in table
    ]
    return "\n".join([title, *rendered, FOOTNOTE]) + "\n"


def format_csv(lines: Sequence[UsageLine]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow([line.label, *(plain_amount(v) for v in _amounts(line))])
    return buffer.getvalue()


async def read_usage(config: Path | None, since: datetime | None, guild_id: int | None) -> list[UsageLine]:
    from bot.app import open_ledger  # the same database the bot opens (settings, migrations)

    data, read = read_config(config)
    settings = parse_settings(data, source=str(read or "built-in defaults"))
    database_url = os.environ.get("DATABASE_URL", "").strip() or None  # the ledger in PostgreSQL, if set
    if database_url is None and not settings.database.path.is_file():
        raise ConfigError(f"[database] path: there is no ledger at {settings.database.path}")
    # recover=False: never settle the holds of a bot that is running
    ledger = await open_ledger(settings, recover=False, database_url=database_url)
    try:
        return usage_lines(await ledger.usage(since=since, guild_id=guild_id))
    finally:
        await ledger.close()


def print_usage(config: Path | None, *, since: datetime | None, guild_id: int | None, as_csv: bool) -> int:
    try:
        lines = asyncio.run(read_usage(config, since, guild_id))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except Unreachable as exc:  # DATABASE_URL's server
        print(f"cannot read the ledger: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(format_csv(lines) if as_csv else format_text(lines, since))
    return 0
