from dataclasses import dataclass

import pytest

from bot.config import PricingSettings
from bot.pricing import PriceTable, UnknownPrice

# DESIGN.md's table, row by row, in US$ per output image.
V3_TABLE = [
    ("generate", "FLASH", 0.03),
    ("generate", "TURBO", 0.03),
    ("generate", "DEFAULT", 0.06),
    ("generate", "QUALITY", 0.09),
    ("remix", "FLASH", 0.03),
    ("remix", "TURBO", 0.03),
    ("remix", "DEFAULT", 0.06),
    ("remix", "QUALITY", 0.09),
    *[(op, "FLASH", 0.06) for op in ("edit", "reframe", "replace_background")],
    *[(op, "TURBO", 0.06) for op in ("edit", "reframe", "replace_background")],
    *[(op, "DEFAULT", 0.06) for op in ("edit", "reframe", "replace_background")],
    *[(op, "QUALITY", 0.09) for op in ("edit", "reframe", "replace_background")],
]
LEGACY_TABLE = [
    *[
        (op, model, price)
        for op in ("generate", "remix")
        for model, price in [
            ("V_2A", 0.04),
            ("V_2A_TURBO", 0.025),
            ("V_2", 0.08),
            ("V_2_TURBO", 0.05),
            ("V_1", 0.06),
            ("V_1_TURBO", 0.02),
        ]
    ],
    ("edit", "V_2", 0.08),
    ("edit", "V_2_TURBO", 0.05),
]


def micros(dollars: float) -> int:
    return round(dollars * 1_000_000)


@pytest.mark.parametrize(("operation", "speed", "dollars"), V3_TABLE)
@pytest.mark.parametrize("num_images", [1, 3, 8])
def test_v3_rows(operation: str, speed: str, dollars: float, num_images: int) -> None:
    table = PriceTable()
    assert table.unit_price(operation, "V_3", speed) == micros(dollars)
    assert table.cost(operation, model="V_3", speed=speed, num_images=num_images) == micros(dollars) * num_images


@pytest.mark.parametrize(("operation", "model", "dollars"), LEGACY_TABLE)
def test_legacy_rows(operation: str, model: str, dollars: float) -> None:
    assert PriceTable().cost(operation, model=model, num_images=2) == 2 * micros(dollars)


def test_upscale_per_image_and_describe_per_call() -> None:
    table = PriceTable()
    assert table.cost("upscale", num_images=3) == 180_000
    assert table.cost("describe", num_images=1) == 10_000
    assert table.cost("describe", num_images=4) == 10_000


def test_v3_defaults_to_default_speed() -> None:
    assert PriceTable().unit_price("generate") == 60_000


@pytest.mark.parametrize(
    ("operation", "model", "speed"),
    [("edit", "V_1", None), ("edit", "V_2A", None), ("generate", "V_3", "BALANCED"), ("teleport", "V_3", "TURBO")],
)
def test_unpriced_combinations_are_errors(operation: str, model: str, speed: str | None) -> None:
    with pytest.raises(UnknownPrice):
        PriceTable().unit_price(operation, model, speed)


@dataclass
class Request:
    operation: str
    model: str | None
    rendering_speed: str | None
    num_images: int


def test_worst_case_and_billed_from_a_request() -> None:
    request = Request("generate", "V_3", "QUALITY", 4)
    table = PriceTable()
    assert table.worst_case(request) == 360_000
    assert table.billed(request, images_returned=3) == 270_000


def test_overrides_from_settings_replace_only_named_prices() -> None:
    settings = PricingSettings.model_validate(
        {"generate": {"TURBO": "0.035"}, "legacy_edit": {"V_2": 0.1}, "describe": 0.02}
    )
    table = settings.table()
    assert table.unit_price("generate", "V_3", "TURBO") == 35_000
    assert table.unit_price("generate", "V_3", "QUALITY") == 90_000
    assert table.unit_price("edit", "V_2", None) == 100_000
    assert table.describe == 20_000
    assert table.upscale == 60_000
