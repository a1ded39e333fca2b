"""The ledger's hot statements. Each money movement is ONE statement: the check and the write happen
together, and the triggers in the schema keep open holds and day totals in step inside that statement.

Named parameters shared by the statements that need a member's terms: `guild_id`, `user_id`,
`config_allowance`, `config_period`, `day_start`, `week_start`, `month_start` (microseconds), `now`.
"""

from __future__ import annotations

from typing import Final

_PERIOD_START: Final = (
    "CASE {period} WHEN 'day' THEN :day_start WHEN 'week' THEN :week_start WHEN 'month' THEN :month_start ELSE 0 END"
)

# The member's allowance, where it comes from, their period and its start; then their totals in it: their own
# allowance, else the highest allowance among their roles (`:role_ids`, the ids separated by commas: plain SQL
# that SQLite and PostgreSQL read alike), else the server default, else the config's. With a NULL user_id this
# gives the server's default terms.
MEMBER_TERMS: Final = f"""
terms AS (
    SELECT
        COALESCE(m.amount, r.amount, g.default_allowance, :config_allowance) AS allowance,
        CASE WHEN m.amount IS NOT NULL THEN 'own'
             WHEN r.amount IS NOT NULL THEN 'role'
             WHEN g.default_allowance IS NOT NULL THEN 'server'
             ELSE 'config' END AS source,
        COALESCE(m.period, CASE WHEN m.amount IS NULL THEN r.period END, g.default_period, :config_period) AS period,
        CASE WHEN m.amount IS NULL THEN r.role_id END AS role_id
    FROM (SELECT 1) AS one
    LEFT JOIN member_allowances AS m ON m.guild_id = :guild_id AND m.user_id = :user_id
    LEFT JOIN (
        SELECT role_id, amount, period FROM role_allowances
        WHERE guild_id = :guild_id AND (',' || :role_ids || ',') LIKE ('%,' || role_id || ',%')
        ORDER BY amount DESC, role_id LIMIT 1
    ) AS r ON 1 = 1
    LEFT JOIN guild_settings AS g ON g.guild_id = :guild_id
),
member AS (
    SELECT terms.*, {_PERIOD_START.format(period="terms.period")} AS start FROM terms
),
totals AS (
    SELECT COALESCE(SUM(d.spent), 0) AS spent,
           COALESCE(SUM(d.held), 0) AS held,
           COALESCE(SUM(d.granted), 0) AS granted
    FROM member, member_days AS d
    WHERE d.guild_id = :guild_id AND d.user_id = :user_id AND d.day >= member.start
)"""

# The server cap, if any, and what is left of it: captures and open holds of every member count.
SERVER_CAP: Final = f"""
cap AS (
    SELECT g.cap_amount AS amount, g.cap_period AS period,
           {_PERIOD_START.format(period="g.cap_period")} AS start
    FROM guild_settings AS g
    WHERE g.guild_id = :guild_id AND g.cap_amount IS NOT NULL
),
cap_left AS (
    SELECT cap.*, cap.amount - COALESCE((
        SELECT SUM(d.spent + d.held) FROM guild_days AS d WHERE d.guild_id = :guild_id AND d.day >= cap.start
    ), 0) AS remaining
    FROM cap
)"""

# A hold of nothing always succeeds: a free job harms no budget, even an overdrawn one.
HOLD: Final = f"""
WITH {MEMBER_TERMS}, {SERVER_CAP}
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, job_id, period, period_start,
                    counts_at, created_at)
SELECT 'hold', :amount, :guild_id, :user_id, :user_id, :reason, :job_id, member.period, member.start,
       :now, :now
FROM member, totals
WHERE :amount = 0
   OR (member.allowance + totals.granted - totals.spent - totals.held >= :amount
       AND NOT EXISTS (SELECT 1 FROM cap_left WHERE cap_left.remaining < :amount))
RETURNING id, period, period_start"""

# Run right after a refused HOLD in the same unit of work, so it explains exactly that refusal.
REFUSAL: Final = f"""
WITH {MEMBER_TERMS}, {SERVER_CAP}
SELECT member.allowance, member.period,
       member.allowance + totals.granted - totals.spent - totals.held,
       (SELECT amount FROM cap_left), (SELECT period FROM cap_left), (SELECT remaining FROM cap_left)
FROM member, totals"""

BALANCE: Final = f"""
WITH {MEMBER_TERMS}
SELECT member.allowance, member.source, member.period, member.start,
       totals.spent, totals.held, totals.granted, member.role_id
FROM member, totals"""

# Grants and settings changes count in the member's (or, without a member, the server's) current period.
ENTRY_NOW: Final = f"""
WITH {MEMBER_TERMS}
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, period, period_start, counts_at,
                    created_at)
SELECT :kind, :amount, :guild_id, :user_id, :actor_id, :reason, member.period, member.start, :now, :now
FROM member
RETURNING id"""

_SETTLE: Final = """
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id, period, period_start,
                    counts_at, created_at)
SELECT '{kind}', {amount}, o.guild_id, o.user_id, :actor_id, :reason, o.job_id, o.hold_id, o.period,
       o.period_start, o.counts_at, :now
FROM open_holds AS o
WHERE o.hold_id = :hold_id{condition}
RETURNING id"""

# Settlements copy the hold's period and time, so they count where the hold did, whenever they happen.
CAPTURE: Final = _SETTLE.format(kind="capture", amount=":amount", condition=" AND o.amount >= :amount")
RELEASE: Final = _SETTLE.format(kind="release", amount="o.amount", condition="")

ENTRY_COLUMNS: Final = (
    "id, kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id, period, period_start, created_at"
)
