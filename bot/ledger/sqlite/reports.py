"""SQL of the `Reports` part: balances, period totals, top spenders, the operator's usage, ledger lines."""

from __future__ import annotations

from typing import Final

from bot.ledger.sqlite.terms import MEMBER_TERMS

BALANCE: Final = f"""
WITH {MEMBER_TERMS}
SELECT member.allowance, member.source, member.period, member.start,
       totals.spent, totals.held, totals.granted, member.role_id
FROM member, totals"""

ENTRY_COLUMNS: Final = (
    "id, kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id, period, period_start, created_at"
)
_ENTRIES: Final = (
    f"SELECT {ENTRY_COLUMNS} FROM ledger WHERE guild_id = ? AND {{column}} >= ? AND {{column}} < ? ORDER BY id"
)
# Lines by when they were made, and by when they count (a settlement at its hold's time).
ENTRIES_MADE: Final = _ENTRIES.format(column="created_at")
ENTRIES_COUNTING: Final = _ENTRIES.format(column="counts_at")
HISTORY: Final = f"SELECT {ENTRY_COLUMNS} FROM ledger WHERE guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT ?"

SERVER_PERIOD: Final = "SELECT default_period FROM guild_settings WHERE guild_id = ?"
TOTALS: Final = (
    "SELECT COALESCE(SUM(spent), 0), COALESCE(SUM(refunded), 0), COALESCE(SUM(written_off), 0),"
    " COALESCE(SUM(uncertain), 0), COALESCE(SUM(held), 0), COALESCE(SUM(granted), 0), COALESCE(SUM(captures), 0)"
    " FROM guild_days WHERE guild_id = ? AND day >= ? AND day < ?"
)
SPENDERS: Final = (
    "SELECT user_id, SUM(spent - refunded) AS total, SUM(captures) FROM member_days"
    " WHERE guild_id = ? AND day >= ? AND day < ? GROUP BY user_id HAVING SUM(spent - refunded) > 0"
    " ORDER BY total DESC, user_id LIMIT ?"
)
# Money that moved (by when it moved), per server.
USAGE: Final = """
SELECT guild_id,
       COALESCE(SUM(CASE WHEN kind = 'capture' THEN amount ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN kind = 'refund' THEN amount ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN kind = 'write-off' THEN amount ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN kind = 'uncertain' THEN amount ELSE 0 END), 0)
FROM ledger
WHERE kind IN ('capture', 'refund', 'write-off', 'uncertain') AND created_at >= :since
  AND (CAST(:guild_id AS BIGINT) IS NULL OR guild_id = :guild_id)
GROUP BY guild_id
ORDER BY guild_id"""
