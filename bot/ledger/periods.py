"""Budget periods: calendar-aligned in UTC (weeks start on Monday), or `total`, which never resets.

The database keeps times as integer microseconds since the Unix epoch, so the bounds used in SQL are
microseconds too. Every period starts at a UTC midnight, which lets the ledger keep its running totals in
day buckets and add up the days of any period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final, Literal, get_args

Period = Literal["day", "week", "month", "total"]
PERIODS: Final[tuple[Period, ...]] = get_args(Period)


EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND: Final = timedelta(microseconds=1)
DAY_US: Final = 86_400_000_000


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, no float rounding)."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; the ledger needs aware datetimes")
    return (moment - EPOCH) // MICROSECOND


def from_us(micros: int) -> datetime:
    return EPOCH + micros * MICROSECOND


@dataclass(frozen=True, slots=True)
class DayBounds:
    """Where each period that contains one UTC day starts and next resets, in microseconds."""

    day_start: int
    week_start: int
    month_start: int
    next_day: int
    next_week: int
    next_month: int

    def start(self, period: Period) -> int:
        if period == "day":
            return self.day_start
        if period == "week":
            return self.week_start
        if period == "month":
            return self.month_start
        return 0

    def next_reset(self, period: Period) -> int | None:
        if period == "day":
            return self.next_day
        if period == "week":
            return self.next_week
        if period == "month":
            return self.next_month
        return None


def bounds_at(now: datetime) -> DayBounds:
    if now.tzinfo is None:
        raise ValueError(f"{now!r} has no time zone; the ledger needs aware datetimes")
    return _bounds_on(now.astimezone(UTC).date())


@lru_cache(maxsize=64)
def _bounds_on(day: date) -> DayBounds:
    # Computed once per calendar day: the hot path (every hold) only looks the answer up.
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    monday = midnight - timedelta(days=day.weekday())
    first = midnight.replace(day=1)
    next_first = (
        first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    )
    return DayBounds(
        day_start=to_us(midnight),
        week_start=to_us(monday),
        month_start=to_us(first),
        next_day=to_us(midnight + timedelta(days=1)),
        next_week=to_us(monday + timedelta(days=7)),
        next_month=to_us(next_first),
    )


def period_bounds(period: Period, now: datetime) -> tuple[datetime, datetime | None]:
    """The start of the period containing `now` and when it next resets (`None` for `total`)."""
    bounds = bounds_at(now)
    reset = bounds.next_reset(period)
    return from_us(bounds.start(period)), None if reset is None else from_us(reset)
