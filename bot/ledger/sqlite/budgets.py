"""SQL of the `Budgets` part: allowances, server settings, grants, refunds and moderator roles."""

from __future__ import annotations

from typing import Final

from bot.ledger.sqlite.terms import ENTRY_NOW, MEMBER_TERMS

__all__ = ["ENTRY_NOW"]  # grants and settings adjustments are entries counted now

REMOVE_ALLOWANCE: Final = "DELETE FROM member_allowances WHERE guild_id = ? AND user_id = ?"
SET_ALLOWANCE: Final = (
    "INSERT INTO member_allowances (guild_id, user_id, amount, period) VALUES (?, ?, ?, ?)"
    " ON CONFLICT DO UPDATE SET amount = excluded.amount, period = excluded.period"
)
REMOVE_ROLE_ALLOWANCE: Final = "DELETE FROM role_allowances WHERE guild_id = ? AND role_id = ?"
SET_ROLE_ALLOWANCE: Final = (
    "INSERT INTO role_allowances (guild_id, role_id, amount, period) VALUES (?, ?, ?, ?)"
    " ON CONFLICT DO UPDATE SET amount = excluded.amount, period = excluded.period"
)
ROLE_ALLOWANCE: Final = "SELECT amount, period FROM role_allowances WHERE guild_id = ? AND role_id = ?"
REMOVE_DEFAULT: Final = (
    "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO UPDATE"
    " SET default_allowance = NULL, default_period = NULL"
)
SET_DEFAULT: Final = (
    "INSERT INTO guild_settings (guild_id, default_allowance, default_period) VALUES (?, ?, ?)"
    " ON CONFLICT DO UPDATE SET default_allowance = excluded.default_allowance,"
    " default_period = COALESCE(excluded.default_period, guild_settings.default_period)"
)
SET_CAP: Final = (
    "INSERT INTO guild_settings (guild_id, cap_amount, cap_period) VALUES (?, ?, ?)"
    " ON CONFLICT DO UPDATE SET cap_amount = excluded.cap_amount, cap_period = excluded.cap_period"
)
SERVER_SETTINGS: Final = (
    "SELECT default_allowance, default_period, cap_amount, cap_period FROM guild_settings WHERE guild_id = ?"
)
CLEAR_MODERATOR_ROLES: Final = "DELETE FROM moderator_roles WHERE guild_id = ?"
ADD_MODERATOR_ROLE: Final = "INSERT INTO moderator_roles (guild_id, role_id) VALUES (?, ?)"
MODERATOR_ROLES: Final = "SELECT role_id FROM moderator_roles WHERE guild_id = ?"

# What a job captured, and whether it was refunded already.
JOB_CHARGES: Final = """
SELECT j.guild_id, j.user_id,
       (SELECT COALESCE(SUM(c.amount), 0) FROM ledger AS c WHERE c.job_id = j.id AND c.kind = 'capture'),
       (SELECT r.id FROM ledger AS r WHERE r.job_id = j.id AND r.kind = 'refund')
FROM jobs AS j
WHERE j.id = :job_id"""

# A refund counts now, in the member's current period (whenever the job was charged): the member can spend it
# again at once. It changes no server or operator total: the provider was paid.
REFUND: Final = f"""
WITH {MEMBER_TERMS}
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, job_id, period, period_start, counts_at,
                    created_at)
SELECT 'refund', :amount, :guild_id, :user_id, :actor_id, :reason, :job_id, member.period, member.start, :now, :now
FROM member
RETURNING id"""
