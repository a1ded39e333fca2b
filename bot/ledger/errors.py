"""What the ledger raises: friendly refusals for members and moderators, plain errors for programming mistakes.

Refusals carry their data (amounts in micro-dollars, aware datetimes) and a catalogue message (`bot.i18n`)
without Discord markup: a time is a `UtcTime` parameter, which a cog may replace with a Discord timestamp
(`error.message.with_params(reset=...)`). `str(error)` is English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.errors import UserFacingError
from bot.i18n import Message, _
from bot.i18n.terms import THIS_PERIOD
from bot.ledger.periods import Period
from bot.money import Amount

BudgetScope = Literal["member", "server", "operator"]
RefundProblem = Literal["unknown", "not-charged", "refunded"]
LimitKind = Literal["max_allowance", "bound"]


@dataclass(frozen=True, slots=True)
class UtcTime:
    """A moment as a message parameter: `2025-04-01 00:00 UTC` in every language."""

    moment: datetime

    def render(self, locale: object | None = None) -> str:
        return f"{self.moment:%Y-%m-%d %H:%M} UTC"

    def __str__(self) -> str:
        return self.render()


class LedgerError(Exception):
    """A misuse of the ledger or a database it cannot work with; never shown to members as is."""


class HoldSettled(LedgerError):
    """The hold was already settled (each hold is settled exactly once)."""


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
        super().__init__(_refusal(scope, amount, remaining, period, next_reset))


def _refusal(scope: BudgetScope, amount: int, remaining: int, period: Period, next_reset: datetime | None) -> Message:
    params = {"amount": Amount(amount), "remaining": Amount(remaining), "this_period": THIS_PERIOD[period]}
    if next_reset is None:  # a total budget never resets
        if scope == "member":
            return _("That needs {amount} but you have {remaining} left. Nothing was charged.", **params)
        if scope == "server":
            return _("That needs {amount} but the server has {remaining} left. Nothing was charged.", **params)
        return _(
            "That needs {amount} but the bot has {remaining} left for all servers together. Nothing was charged.",
            **params,
        )
    reset = UtcTime(next_reset)
    if scope == "member":
        return _(
            "That needs {amount} but you have {remaining} left {this_period} (resets {reset}). Nothing was charged.",
            reset=reset,
            **params,
        )
    if scope == "server":
        return _(
            "That needs {amount} but the server has {remaining} left {this_period} (resets {reset}). "
            "Nothing was charged.",
            reset=reset,
            **params,
        )
    return _(
        "That needs {amount} but the bot has {remaining} left for all servers together {this_period} "
        "(resets {reset}). Nothing was charged.",
        reset=reset,
        **params,
    )


class RefundRefused(UserFacingError):
    """`/budget refund` could not refund the job: `problem` says why (no such job in this server, nothing
    captured, or refunded already)."""

    def __init__(self, *, job_id: int, problem: RefundProblem) -> None:
        self.job_id = job_id
        self.problem = problem
        if problem == "unknown":
            message = _(
                "There is no job {job_id} in this server. Check the job id (it is shown in the job's Info).",
                job_id=job_id,
            )
        elif problem == "not-charged":
            message = _("Job {job_id} was not charged anything, so there is nothing to refund.", job_id=job_id)
        else:
            message = _("Job {job_id} was already refunded; a job is refunded at most once.", job_id=job_id)
        super().__init__(message)


class AmountTooLarge(UserFacingError, ValueError):
    """An allowance, default, cap or grant above the operator's `max_allowance` (`limit_kind="max_allowance"`)
    or above the bound every amount has (`"bound"`), so no typed value reaches an overflow."""

    def __init__(self, *, amount: int, limit: int, limit_kind: LimitKind) -> None:
        self.amount = amount
        self.limit = limit
        self.limit_kind = limit_kind
        params = {"amount": Amount(amount), "limit": Amount(limit)}
        if limit_kind == "max_allowance":
            message = _(
                "{amount} is more than this bot allows ({limit}, the operator's `max_allowance`). Use {limit} or less.",
                **params,
            )
        else:
            message = _("{amount} is more than any budget amount can be ({limit}). Use {limit} or less.", **params)
        super().__init__(message)
