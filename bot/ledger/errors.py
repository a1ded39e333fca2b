"""What the ledger raises: a friendly refusal for members, plain errors for programming mistakes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.errors import UserFacingError
from bot.i18n import Message, _
from bot.i18n.terms import THIS_PERIOD
from bot.ledger.periods import Period
from bot.money import Amount


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
        super().__init__(_refusal(scope, amount, remaining, period, next_reset))


def _refusal(
    scope: Literal["member", "server"], amount: int, remaining: int, period: Period, next_reset: datetime | None
) -> Message:
    params = {"amount": Amount(amount), "remaining": Amount(remaining), "this_period": THIS_PERIOD[period]}
    if next_reset is None:  # a total budget never resets
        if scope == "member":
            return _("That needs {amount} but you have {remaining} left. Nothing was charged.", **params)
        return _("That needs {amount} but the server has {remaining} left. Nothing was charged.", **params)
    reset = f"<t:{int(next_reset.timestamp())}:R>"  # Discord draws it in each reader's own language
    if scope == "member":
        return _(
            "That needs {amount} but you have {remaining} left {this_period} (resets {reset}). Nothing was charged.",
            reset=reset,
            **params,
        )
    return _(
        "That needs {amount} but the server has {remaining} left {this_period} (resets {reset}). Nothing was charged.",
        reset=reset,
        **params,
    )
