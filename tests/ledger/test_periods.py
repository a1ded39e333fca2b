from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ledger import PERIODS, Period, period_bounds


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("period", "now", "start", "reset"),
    [
        ("day", utc(2025, 3, 12, 15, 30), utc(2025, 3, 12), utc(2025, 3, 13)),
        ("day", utc(2025, 3, 12), utc(2025, 3, 12), utc(2025, 3, 13)),
        ("week", utc(2025, 3, 12, 15, 30), utc(2025, 3, 10), utc(2025, 3, 17)),  # Wednesday -> Monday
        ("week", utc(2025, 3, 16, 23, 59, 59), utc(2025, 3, 10), utc(2025, 3, 17)),  # Sunday night
        ("week", utc(2025, 3, 17), utc(2025, 3, 17), utc(2025, 3, 24)),  # Monday midnight
        ("week", utc(2025, 1, 1), utc(2024, 12, 30), utc(2025, 1, 6)),  # across a year
        ("month", utc(2025, 3, 12, 15, 30), utc(2025, 3, 1), utc(2025, 4, 1)),
        ("month", utc(2024, 2, 29, 23), utc(2024, 2, 1), utc(2024, 3, 1)),
        ("month", utc(2025, 12, 31, 23, 59), utc(2025, 12, 1), utc(2026, 1, 1)),
        ("total", utc(2025, 3, 12, 15, 30), utc(1970, 1, 1), None),
    ],
)
def test_period_bounds(period: Period, now: datetime, start: datetime, reset: datetime | None) -> None:
    assert period_bounds(period, now) == (start, reset)


def test_bounds_are_utc_whatever_the_zone_of_now() -> None:
    monday_morning_in_tokyo = datetime(2025, 3, 17, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    assert period_bounds("day", monday_morning_in_tokyo) == (utc(2025, 3, 16), utc(2025, 3, 17))
    assert period_bounds("week", monday_morning_in_tokyo) == (utc(2025, 3, 10), utc(2025, 3, 17))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        period_bounds("day", datetime(2025, 3, 12))


@given(
    period=st.sampled_from(PERIODS),
    now=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
)
def test_the_period_contains_now_and_starts_at_a_calendar_boundary(period: Period, now: datetime) -> None:
    start, reset = period_bounds(period, now)
    assert start <= now
    assert start.tzinfo is not None
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)
    if period == "total":
        assert reset is None
        return
    assert reset is not None
    assert now < reset
    assert period_bounds(period, reset)[0] == reset  # the next period starts exactly at the reset
    assert period_bounds(period, reset - timedelta(microseconds=1))[0] == start
    if period == "week":
        assert start.weekday() == 0
        assert reset - start == timedelta(days=7)
    if period == "month":
        assert start.day == 1
        assert reset.day == 1
    if period == "day":
        assert reset - start == timedelta(days=1)
