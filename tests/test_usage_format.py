"""`python -m bot usage`'s arithmetic and formatting, on `Ledger.usage` rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from bot.ledger import UsageRow as Row
from bot.usage import format_csv, format_text, usage_lines

ROWS = [
    Row(222, captured=90_000, refunded=0, written_off=0, uncertain=60_000),
    Row(111, captured=30_000, refunded=30_000, written_off=25_000, uncertain=0),
    Row(None, captured=120_000, refunded=30_000, written_off=25_000, uncertain=60_000),  # the ledger's total row
]


def test_each_server_then_the_total_added_up_once() -> None:
    lines = usage_lines(ROWS)
    assert [line.label for line in lines] == ["111", "222", "total"]
    assert [line.billed for line in lines] == [55_000, 150_000, 205_000]
    assert (lines[-1].captured, lines[-1].written_off, lines[-1].uncertain, lines[-1].refunded) == (
        120_000,
        25_000,
        60_000,
        30_000,
    )


def test_text_shows_every_amount_with_the_decimals_it_needs() -> None:
    text = format_text(usage_lines(ROWS), datetime(2026, 12, 1, tzinfo=UTC))
    title, header, first, second, total, footnote = text.splitlines()
    assert title == "Usage from the ledger since 2026-12-01 (UTC), in US$:"
    assert header.split() == ["server", "captured", "write-offs", "uncertain", "billed", "refunded"]
    assert first.split() == ["111", "$0.03", "$0.025", "$0.00", "$0.055", "$0.03"]
    assert second.split() == ["222", "$0.09", "$0.00", "$0.06", "$0.15", "$0.00"]
    assert total.split() == ["total", "$0.12", "$0.025", "$0.06", "$0.205", "$0.03"]
    assert len({len(line) for line in (header, first, second, total)}) == 1  # columns line up
    assert footnote.startswith("billed = captured + write-offs + uncertain")


def test_nothing_to_show_says_so() -> None:
    assert format_text(usage_lines([]), None).splitlines() == [
        "Usage from the ledger, all time, in US$:",
        "Nothing was captured, written off or uncertain in that time.",
    ]


def test_csv_has_plain_decimals_a_spreadsheet_reads_as_numbers() -> None:
    rows = list(csv.reader(io.StringIO(format_csv(usage_lines(ROWS)))))
    assert rows == [
        ["guild_id", "captured_usd", "write_offs_usd", "uncertain_usd", "billed_usd", "refunded_usd"],
        ["111", "0.03", "0.025", "0.00", "0.055", "0.03"],
        ["222", "0.09", "0.00", "0.06", "0.15", "0.00"],
        ["total", "0.12", "0.025", "0.06", "0.205", "0.03"],
    ]
