"""What the ledger raises: a friendly refusal for members, plain errors for programming mistakes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.errors import UserFacingError
from bot.ledger.periods import Period
from bot.money import format_amount

_WHEN: dict[Period, str] = {"day": " today", "week": " this week", "month": " this month", "total": ""}


class LedgerError(Exception):
    """A misuse of the ledger or a database it cannot work with; never shown to members as is."""


class HoldSettled(LedgerError):
    """The hold was already captured or released (each hold is settled exactly once)."""


class BudgetExceeded(UserFacingError):
    """A hold was refused: the member's own budget or the server's cap has less left than the job needs.

    `scope` says which refused; `allowance`, `period` and `next_reset` belong to that budget (for the server,
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
        scope: Literal["member", "server"],
    ) -> None:
        self.amount = amount
        self.remaining = remaining
        self.allowance = allowance
        self.period = period
        self.next_reset = next_reset
        self.scope = scope
        who = "you have" if scope == "member" else "the server has"
        resets = "" if next_reset is None else f" (resets <t:{int(next_reset.timestamp())}:R>)"
        super().__init__(
            f"That needs {format_amount(amount)} but {who} {format_amount(remaining)} left"
            f"{_WHEN[period]}{resets}. Nothing was charged."
        )
