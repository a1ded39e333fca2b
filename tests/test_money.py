from decimal import Decimal

import pytest

from bot.money import AmountError, format_amount, parse_amount, plain_amount, to_micros


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("0.5", 500_000),
        ("$0.50", 500_000),
        ("2", 2_000_000),
        (" $ 2 ", 2_000_000),
        ("-1.25", -1_250_000),
        ("-$1.25", -1_250_000),
        (".025", 25_000),
        ("0.000001", 1),
        ("+3", 3_000_000),
    ],
)
def test_parse_amount_accepts_what_people_type(text: str, micros: int) -> None:
    assert parse_amount(text) == micros


@pytest.mark.parametrize("text", ["", "abc", "1,5", "$", "1.2.3", "0.0000001", "1e3", "--1"])
def test_parse_amount_refuses_other_text_with_a_hint(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("micros", "shown"),
    [
        (500_000, "$0.50"),
        (25_000, "$0.025"),
        (0, "$0.00"),
        (1, "$0.000001"),
        (1_000_000, "$1.00"),
        (-1_250_000, "-$1.25"),
        (1_234_567_800_000, "$1,234,567.80"),
    ],
)
def test_format_amount_never_rounds_away(micros: int, shown: str) -> None:
    assert format_amount(micros) == shown


@pytest.mark.parametrize(
    ("micros", "plain"),
    [
        (500_000, "0.50"),
        (60_000, "0.06"),
        (25_000, "0.025"),
        (0, "0.00"),
        (1, "0.000001"),
        (-1_250_000, "-1.25"),
        (1_234_567_800_000, "1234567.80"),
    ],
)
def test_plain_amount_is_a_bare_decimal(micros: int, plain: str) -> None:
    assert plain_amount(micros) == plain
    assert Decimal(plain) * 1_000_000 == micros


def test_round_trip() -> None:
    for micros in (1, 10, 25_000, 999_999, 1_000_001, 123_456_789):
        assert parse_amount(format_amount(micros)) == micros
    assert to_micros("0.03") == 30_000
