"""What the ledger raises: friendly refusals for members and moderators, plain errors for programming mistakes.

Refusals carry their data (amounts in micro-dollars, aware datetimes) so a cog can word them for Discord (a
relative timestamp, a translation); their `str()` is a plain English sentence without Discord markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from bot.errors import UserFacingError
from bot.ledger.periods import THIS_PERIOD, Period
from bot.money import format_amount

BudgetScope = Literal["member", "server", "operator"]
RefundProblem = Literal["unknown", "not-charged", "refunded"]
LimitKind = Literal["max_allowance", "bound"]

_WHO: Final[dict[BudgetScope, str]] = {
    "member": "you have",
    "server": "the server has",
    "operator": "the bot has (all servers together)",
}
BUDGET_EXCEEDED: Final = "That needs {amount} but {who} {remaining} left {when}{resets}. Nothing was charged."
RESETS: Final = " (resets {moment:%Y-%m-%d %H:%M} UTC)"
REFUND_REFUSED: Final[dict[RefundProblem, str]] = {
    "unknown": "There is no job {job_id} in this server. Check the job id (it is shown in the job's Info).",
    "not-charged": "Job {job_id} was not charged anything, so there is nothing to refund.",
    "refunded": "Job {job_id} was already refunded; a job is refunded at most once.",
}
TOO_LARGE: Final[dict[LimitKind, str]] = {
    "max_allowance": "{amount} is more than this bot allows ({limit}, the operator's `max_allowance`). "
    "Use {limit} or less.",
    "bound": "{amount} is more than any budget amount can be ({limit}). Use {limit} or less.",
}


class LedgerError(Exception):
    """A misuse of the ledger or a database it cannot work with; never shown to members as is."""


class HoldSettled(LedgerError):
    """The hold was already captured or released (each hold is settled exactly once)."""


class BudgetExceeded(UserFacingError):
    """A hold was refused: the member's own budget, the server's cap or the operator's cap (all servers
    together) has less left than the job needs.

    `scope` says which refused; `allowance`, `period` and `next_reset` belong to that budget (for a cap,
    `allowance` is the cap). `remaining` is never below zero.
    """

    def __init__(
        self,
        *,
        amount: int,
        remaining: int,
        allowance: int,
        period: Period,
        next_reset: datetime | None,
        scope: BudgetScope,
    ) -> None:
        self.amount = amount
        self.remaining = remaining
        self.allowance = allowance
        self.period = period
        self.next_reset = next_reset
        self.scope = scope
        super().__init__(
            BUDGET_EXCEEDED.format(
                amount=format_amount(amount),
                who=_WHO[scope],
                remaining=format_amount(remaining),
                when=THIS_PERIOD[period],
                resets="" if next_reset is None else RESETS.format(moment=next_reset),
            )
        )


class RefundRefused(UserFacingError):
    """`/budget refund` could not refund the job: `problem` says why (no such job here, nothing captured, or
    refunded already)."""

    def __init__(self, *, job_id: int, problem: RefundProblem) -> None:
        self.job_id = job_id
        self.problem = problem
        super().__init__(REFUND_REFUSED[problem].format(job_id=job_id))


class AmountTooLarge(UserFacingError, ValueError):
    """An allowance, default, cap or grant above the operator's `max_allowance` (`limit_kind="max_allowance"`)
    or above the bound every amount has (`"bound"`), so no typed value reaches an overflow."""

    def __init__(self, *, amount: int, limit: int, limit_kind: LimitKind) -> None:
        self.amount = amount
        self.limit = limit
        self.limit_kind = limit_kind
        super().__init__(TOO_LARGE[limit_kind].format(amount=format_amount(amount), limit=format_amount(limit)))
