"""SQL of the `Holds` part. Each money movement is ONE statement: the check and the write happen together,
and the triggers in the schema keep open holds and day totals in step inside that statement."""

from __future__ import annotations

from typing import Final

from bot.ledger.sqlite.terms import MEMBER_TERMS, OPERATOR_CAP, SERVER_CAP

# A hold of nothing always succeeds: a free job harms no budget, even an overdrawn one. The member's
# allowance, the server cap and the operator cap are checked in this one statement, so concurrent holds in
# any servers can never pass any of them.
HOLD: Final = f"""
WITH {MEMBER_TERMS}, {SERVER_CAP}, {OPERATOR_CAP}
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, job_id, instance_id, period,
                    period_start, counts_at, created_at)
SELECT 'hold', :amount, :guild_id, :user_id, :user_id, :reason, :job_id, :instance_id, member.period,
       member.start, :now, :now
FROM member, totals
WHERE :amount = 0
   OR (member.allowance + totals.granted - totals.spent - totals.held >= :amount
       AND NOT EXISTS (SELECT 1 FROM cap_left WHERE cap_left.remaining < :amount)
       AND NOT EXISTS (SELECT 1 FROM operator_left WHERE operator_left.remaining < :amount))
RETURNING id, period, period_start"""

# Run right after a refused HOLD in the same unit of work, so it explains exactly that refusal.
REFUSAL: Final = f"""
WITH {MEMBER_TERMS}, {SERVER_CAP}, {OPERATOR_CAP}
SELECT member.allowance, member.period,
       member.allowance + totals.granted - totals.spent - totals.held,
       (SELECT amount FROM cap_left), (SELECT period FROM cap_left), (SELECT remaining FROM cap_left),
       (SELECT remaining FROM operator_left)
FROM member, totals"""

_SETTLE: Final = """
INSERT INTO ledger (kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id, period, period_start,
                    counts_at, created_at)
SELECT '{kind}', {amount}, o.guild_id, o.user_id, :actor_id, :reason, o.job_id, o.hold_id, o.period,
       o.period_start, o.counts_at, :now
FROM open_holds AS o
WHERE o.hold_id = :hold_id{condition}
RETURNING id"""

# Settlements copy the hold's period and time, so they count where the hold did, whenever they happen.
# A write-off takes part of the hold (what is left stays open); the others close it.
CAPTURE: Final = _SETTLE.format(kind="capture", amount=":amount", condition=" AND o.amount >= :amount")
RELEASE: Final = _SETTLE.format(kind="release", amount="o.amount", condition="")
UNCERTAIN: Final = _SETTLE.format(kind="uncertain", amount="o.amount", condition="")
WRITE_OFF: Final = _SETTLE.format(
    kind="write-off", amount="CASE WHEN :amount < o.amount THEN :amount ELSE o.amount END", condition=" AND :amount > 0"
)

# A hold of this instance with what its job's record says about the request: for failure settlements.
HOLD_OUTCOME: Final = """
SELECT o.hold_id, o.user_id, o.amount, j.request_sent_at IS NOT NULL, j.billed
FROM open_holds AS o LEFT JOIN jobs AS j ON j.id = o.job_id
WHERE o.hold_id = :hold_id"""

INSTANCE_HOLDS: Final = """
SELECT o.hold_id, o.user_id, o.amount, j.request_sent_at IS NOT NULL, j.billed
FROM open_holds AS o LEFT JOIN jobs AS j ON j.id = o.job_id
WHERE o.instance_id = :instance_id
ORDER BY o.hold_id"""

REQUEST_SENT: Final = "UPDATE jobs SET request_sent_at = COALESCE(request_sent_at, :now) WHERE id = :job_id"
ANSWERED: Final = (
    "UPDATE jobs SET request_sent_at = COALESCE(request_sent_at, :now), billed = :billed WHERE id = :job_id"
)
FAIL_RUNNING: Final = (
    "UPDATE jobs SET status = 'failed', error = :error, finished_at = :now"
    " WHERE status = 'running' AND instance_id = :instance_id"
)
