"""Money as integer micro-dollars: parsed from what people type, shown without rounding anything away."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.errors import UserFacingError
from bot.i18n import TRADITIONAL, _, language

MICROS_PER_DOLLAR = 1_000_000

_AMOUNT = re.compile(r"^\s*(?P<sign>[-+])?\s*\$?\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*$")


class AmountError(UserFacingError, ValueError):
    """Raised for text that is not a dollar amount; the message is fit to show a user."""


def to_micros(dollars: Decimal | int | str) -> int:
    """Convert an exact dollar value to micro-dollars, refusing fractions of a micro-dollar."""
    value = Decimal(str(dollars)) * MICROS_PER_DOLLAR
    if value != value.to_integral_value():
        raise AmountError(
            _("{amount} has more than six decimals; the smallest amount is $0.000001.", amount=str(dollars))
        )
    return int(value)


def parse_amount(text: str) -> int:
    """Parse `0.5`, `$0.50`, `2` or `-1.25` into micro-dollars."""
    match = _AMOUNT.match(text)
    if match is None:
        raise AmountError(_("`{text}` is not an amount in dollars. Try `0.50`, `$2` or `-1.25`.", text=text.strip()))
    try:
        micros = to_micros(Decimal(match["number"]))
    except InvalidOperation as exc:  # pragma: no cover - the regex only lets digits through
        raise AmountError(_("`{text}` is not an amount in dollars.", text=text.strip())) from exc
    return -micros if match["sign"] == "-" else micros


def _split(micros: int) -> tuple[str, int, str]:
    """Sign, whole dollars and the decimals an amount needs (at least two, never rounded)."""
    whole, frac = divmod(abs(micros), MICROS_PER_DOLLAR)
    return "-" if micros < 0 else "", whole, f"{frac:06d}".rstrip("0").ljust(2, "0")


def format_amount(micros: int, locale: object | None = None) -> str:
    """`$0.50`, `$0.025`, `-$1.00`, `$1,234.50`: at least two decimals, never rounded.

    For a zh-TW reader the sign is `US$`: in Taiwan a bare `$` means New Taiwan dollars. English and zh-CN
    readers (AiHubMix prices in `$`) read `$` as US dollars. Digits and separators are the same in all three.
    """
    sign, whole, decimals = _split(micros)
    currency = "US$" if language(locale) == TRADITIONAL else "$"
    return f"{sign}{currency}{whole:,}.{decimals}"


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount as a message parameter: `_("{amount} left.", amount=Amount(micros))` formats it per reader."""

    micros: int

    def render(self, locale: object | None = None) -> str:
        return format_amount(self.micros, locale)

    def __str__(self) -> str:
        return format_amount(self.micros)


def plain_amount(micros: int) -> str:
    """`0.50`, `0.025`, `-1.00`, `1234.50`: the same digits as `format_amount`, without the dollar sign or
    thousands separators, for CSV files that spreadsheets read as numbers."""
    sign, whole, decimals = _split(micros)
    return f"{sign}{whole}.{decimals}"
