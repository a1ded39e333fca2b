"""The provider's price table as data, and the one function that prices a request.

Prices are US$ per output image from DESIGN.md (the AiHubMix source document), in micro-dollars, overridable
from `[pricing]`. Describe is not in the source table: its default is an estimate to check against the bill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Protocol

from bot.ideogram.values import V3_MODEL

# Which column of the table each operation reads.
_GENERATE_FAMILY: Final = frozenset({"generate", "remix"})
_EDIT_FAMILY: Final = frozenset({"edit", "reframe", "replace_background"})


def _frozen(prices: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(prices))


class PricedRequest(Protocol):
    """What pricing needs to know about a request (the API client's request models provide it)."""

    @property
    def operation(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def rendering_speed(self) -> str | None: ...
    @property
    def num_images(self) -> int: ...


class UnknownPrice(LookupError):
    """No price for this combination: a programming error, never a user's."""


@dataclass(frozen=True)
class PriceTable:
    """Unit prices in micro-dollars per output image (describe: per call)."""

    v3_generate: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"FLASH": 30_000, "TURBO": 30_000, "DEFAULT": 60_000, "QUALITY": 90_000})
    )
    v3_edit: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"FLASH": 60_000, "TURBO": 60_000, "DEFAULT": 60_000, "QUALITY": 90_000})
    )
    legacy_generate: Mapping[str, int] = field(
        default_factory=lambda: _frozen(
            {
                "V_2A": 40_000,
                "V_2A_TURBO": 25_000,
                "V_2": 80_000,
                "V_2_TURBO": 50_000,
                "V_1": 60_000,
                "V_1_TURBO": 20_000,
            }
        )
    )
    legacy_edit: Mapping[str, int] = field(default_factory=lambda: _frozen({"V_2": 80_000, "V_2_TURBO": 50_000}))
    upscale: int = 60_000
    describe: int = 10_000

    def unit_price(self, operation: str, model: str | None = None, speed: str | None = None) -> int:
        """Price of one output image (one call for describe)."""
        if operation == "upscale":
            return self.upscale
        if operation == "describe":
            return self.describe
        model = model or V3_MODEL
        if model == V3_MODEL:
            column = self.v3_generate if operation in _GENERATE_FAMILY else self.v3_edit
            key = speed or "DEFAULT"
        else:
            column = self.legacy_edit if operation in _EDIT_FAMILY else self.legacy_generate
            key = model
        if operation not in _GENERATE_FAMILY | _EDIT_FAMILY or key not in column:
            raise UnknownPrice(f"no price for {operation} with {model} {speed or ''}".strip())
        return column[key]

    def cost(self, operation: str, *, model: str | None = None, speed: str | None = None, num_images: int = 1) -> int:
        """What `num_images` output images cost; describe is billed per call whatever the count."""
        unit = self.unit_price(operation, model, speed)
        return unit if operation == "describe" else unit * num_images

    def worst_case(self, request: PricedRequest) -> int:
        """The hold for a request, or for options checked before the request exists (`check_options`): every
        image it asks for, at its unit price."""
        return self.cost(
            request.operation,
            model=request.model,
            speed=request.rendering_speed,
            num_images=request.num_images,
        )

    def billed(self, request: PricedRequest, images_returned: int) -> int:
        """What the provider bills for a finished request: every image it returned, withheld ones included."""
        return self.cost(
            request.operation, model=request.model, speed=request.rendering_speed, num_images=images_returned
        )

    def with_overrides(
        self,
        *,
        v3_generate: Mapping[str, int] | None = None,
        v3_edit: Mapping[str, int] | None = None,
        legacy_generate: Mapping[str, int] | None = None,
        legacy_edit: Mapping[str, int] | None = None,
        upscale: int | None = None,
        describe: int | None = None,
    ) -> PriceTable:
        """A copy with some prices replaced; keys not given keep the built-in price."""
        return PriceTable(
            v3_generate=_frozen({**self.v3_generate, **(v3_generate or {})}),
            v3_edit=_frozen({**self.v3_edit, **(v3_edit or {})}),
            legacy_generate=_frozen({**self.legacy_generate, **(legacy_generate or {})}),
            legacy_edit=_frozen({**self.legacy_edit, **(legacy_edit or {})}),
            upscale=self.upscale if upscale is None else upscale,
            describe=self.describe if describe is None else describe,
        )
