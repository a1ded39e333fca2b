"""What several parts' statements share: a member's terms and totals, the server cap, the operator cap.

Named parameters shared by the statements that need a member's terms: `guild_id`, `user_id`,
`config_allowance`, `config_period`, `day_start`, `week_start`, `month_start` (microseconds), `now`; and for
holds the operator's `operator_cap` (NULL: none) and `operator_period`, and `instance_id`.

What counts where: a member's spend is captures − refunds; what a server or the operator paid (their caps)
is captures + write-offs + uncertain entries, refunds included (the provider was paid), plus open holds.
"""

from __future__ import annotations

from typing import Final

_PERIOD_START: Final = (
    "CASE {period} WHEN 'day' THEN :day_start WHEN 'week' THEN :week_start WHEN 'month' THEN :month_start ELSE 0 END"
)

# Roles' allowances are compared over a common horizon, a 30-day month: what each lets a member spend in it, in
# sevenths of a dollar so the arithmetic stays whole (a day 30 × 7, a week 30, a month 7; `total` never resets,
# so it allows itself: 7). $10 a day beats $50 a month; ties go to the larger amount, then the lower role id.
_MONTHLY_WEIGHT: Final = "CASE {period} WHEN 'day' THEN 210 WHEN 'week' THEN 30 ELSE 7 END"

# The member's allowance, where it comes from, their period and its start; then their totals in it: their own
# allowance, else the highest allowance among their roles (`:role_ids`, the ids separated by commas: plain SQL
# that SQLite and PostgreSQL read alike; a role without a period has the server's, as above), else the server
# default, else the config's. With a NULL user_id this gives the server's default terms.
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
        SELECT ra.role_id, ra.amount, ra.period FROM role_allowances AS ra
        LEFT JOIN guild_settings AS rg ON rg.guild_id = ra.guild_id
        WHERE ra.guild_id = :guild_id AND (',' || :role_ids || ',') LIKE ('%,' || ra.role_id || ',%')
        ORDER BY ra.amount * {_MONTHLY_WEIGHT.format(period="COALESCE(ra.period, rg.default_period, :config_period)")}
                 DESC, ra.amount DESC, ra.role_id
        LIMIT 1
    ) AS r ON 1 = 1
    LEFT JOIN guild_settings AS g ON g.guild_id = :guild_id
),
member AS (
    SELECT terms.*, {_PERIOD_START.format(period="terms.period")} AS start FROM terms
),
totals AS (
    SELECT COALESCE(SUM(d.spent - d.refunded), 0) AS spent,
           COALESCE(SUM(d.held), 0) AS held,
           COALESCE(SUM(d.granted), 0) AS granted
    FROM member, member_days AS d
    WHERE d.guild_id = :guild_id AND d.user_id = :user_id AND d.day >= member.start
)"""

# The server cap, if any, and what is left of it: what the server paid and open holds of every member count.
SERVER_CAP: Final = f"""
cap AS (
    SELECT g.cap_amount AS amount, g.cap_period AS period,
           {_PERIOD_START.format(period="g.cap_period")} AS start
    FROM guild_settings AS g
    WHERE g.guild_id = :guild_id AND g.cap_amount IS NOT NULL
),
cap_left AS (
    SELECT cap.*, cap.amount - COALESCE((
        SELECT SUM(d.spent + d.written_off + d.uncertain + d.held) FROM guild_days AS d
        WHERE d.guild_id = :guild_id AND d.day >= cap.start
    ), 0) AS remaining
    FROM cap
)"""

# The operator's cap across all servers, if any, and what is left of it.
OPERATOR_CAP: Final = f"""
operator_left AS (
    SELECT :operator_cap - COALESCE((
        SELECT SUM(d.paid + d.held) FROM operator_days AS d
        WHERE d.day >= {_PERIOD_START.format(period=":operator_period")}
    ), 0) AS remaining
    WHERE :operator_cap IS NOT NULL
)"""

# Grants and settings changes count in the member's (or, without a member, the server's) current period.
ENTRY_NOW: Final = f"""
WITH {MEMBER_TERMS}
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, period, period_start, counts_at,
                    created_at)
SELECT :kind, :amount, :guild_id, :user_id, :actor_id, :reason, member.period, member.start, :now, :now
FROM member
RETURNING id"""
