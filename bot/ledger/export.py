"""The ledger as CSV: one row per entry, DESIGN's columns, amounts as plain decimals spreadsheets read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Final

from bot.ledger.models import Entry
from bot.money import plain_amount

CSV_COLUMNS: Final = ("id", "created_at", "kind", "amount_usd", "member_id", "actor_id", "job_id", "reason")


def entries_csv(entries: Iterable[Entry]) -> str:
    """The entries as CSV text with a header row. Kinds are spelled as in the ledger (`write-off`,
    `uncertain`, `refund`, …); write-off and uncertain rows carry the job's member, though not charged to them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.id,
                entry.created_at.isoformat(),
                entry.kind,
                plain_amount(entry.amount),
                "" if entry.user_id is None else entry.user_id,
                "" if entry.actor_id is None else entry.actor_id,
                "" if entry.job_id is None else entry.job_id,
                entry.reason,
            ]
        )
    return buffer.getvalue()
