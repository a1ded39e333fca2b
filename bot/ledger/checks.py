"""Argument checks shared by the parts of the `Ledger`."""

from __future__ import annotations

from bot.ledger.periods import PERIODS, Period


def check_amount(amount: int, what: str) -> None:
    if amount < 0:
        raise ValueError(f"{what} cannot be negative, got {amount}")


def check_period(period: Period | None) -> None:
    if period is not None and period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
