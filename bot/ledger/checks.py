"""Argument checks shared by the parts of the `Ledger`."""

from __future__ import annotations

from typing import Final

from bot.ledger.errors import AmountTooLarge
from bot.ledger.periods import PERIODS, Period
from bot.money import MICROS_PER_DOLLAR

# No amount a moderator types (or a config sets) may pass this: sums of millions of them stay far inside
# SQLite's 64-bit integers, so no typed value ever reaches an overflow.
MAX_AMOUNT: Final = 1_000_000 * MICROS_PER_DOLLAR


def check_amount(amount: int, what: str) -> None:
    """A programming-error check: amounts the ledger stores are never negative (grants aside)."""
    if amount < 0:
        raise ValueError(f"{what} cannot be negative, got {amount}")
    check_bound(amount)


def check_bound(amount: int, max_allowance: int | None = None) -> None:
    """Refuse an amount (either sign) above the operator's `max_allowance`, if given, or above `MAX_AMOUNT`."""
    if max_allowance is not None and abs(amount) > max_allowance:
        raise AmountTooLarge(amount=abs(amount), limit=max_allowance, limit_kind="max_allowance")
    if abs(amount) > MAX_AMOUNT:
        raise AmountTooLarge(amount=abs(amount), limit=MAX_AMOUNT, limit_kind="bound")


def check_period(period: Period | None) -> None:
    if period is not None and period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
