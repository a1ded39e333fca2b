"""What every Ideogram request shares: constrained field types, the frozen base, the colour palette.

`_Frozen` turns pydantic's `ValidationError` into `InvalidRequest` with one friendly sentence, so breaking a rule
never surfaces pydantic's wording. The concrete requests live in `requests_v3.py` and `requests_legacy.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails

from bot.i18n import Message, _
from bot.ideogram.errors import InvalidRequest
from bot.ideogram.files import ImageFile
from bot.ideogram.values import (
    COLOR_HEX_PATTERN,
    MAX_COLOR_PALETTE_MEMBERS,
    MAX_NUM_IMAGES,
    MAX_SEED,
    STYLE_CODE_PATTERN,
    ColorPalettePreset,
    Operation,
)
from bot.ideogram.wire import WireBody

NumImages = Annotated[int, Field(ge=1, le=MAX_NUM_IMAGES)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Percent = Annotated[int, Field(ge=1, le=100)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StyleCode = Annotated[str, StringConstraints(pattern=STYLE_CODE_PATTERN)]

_MAX_LISTED_CHARS: Final = 300


def _friendly(exc: ValidationError) -> Message:
    """One sentence for the first problem pydantic found, naming the field as the API names it."""
    error: ErrorDetails = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "request"
    kind = error["type"]
    context = error.get("ctx", {})
    if kind == "missing":
        return _("`{field}` is required.", field=field)
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "")
        if len(expected) > _MAX_LISTED_CHARS:
            shown = _("{items} and more", items=expected[:_MAX_LISTED_CHARS].rsplit(",", 1)[0])
            return _(
                "`{name}` can't be `{value}`. Use one of: {allowed}.", name=field, value=error["input"], allowed=shown
            )
        return _(
            "`{name}` can't be `{value}`. Use one of: {allowed}.", name=field, value=error["input"], allowed=expected
        )
    message = error["msg"].removeprefix("Value error, ")
    # pydantic's own (English) words, as the provider's are: a parameter, not text of ours
    problem = message[0].lower() + message[1:]
    return _("`{field}`: {problem}.", field=field, problem=problem)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InvalidRequest(_friendly(exc)) from exc


class ColorMember(_Frozen):
    """One colour of a palette; the weight (0.05..1) is optional."""

    color_hex: Annotated[str, StringConstraints(pattern=COLOR_HEX_PATTERN)]
    color_weight: Annotated[float, Field(ge=0.05, le=1.0)] | None = None


class ColorPalette(_Frozen):
    """Either a preset `name` or 1..8 `members`, never both (sent as JSON: a string part on V3 routes)."""

    name: ColorPalettePreset | None = None
    members: Annotated[tuple[ColorMember, ...], Field(min_length=1, max_length=MAX_COLOR_PALETTE_MEMBERS)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ColorPalette:
        if (self.name is None) == (self.members is None):
            raise InvalidRequest(_("A colour palette is either a preset name or a list of colours, not both."))
        return self

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


class _Request(_Frozen):
    """What every request knows: its operation, route and wire body."""

    OPERATION: ClassVar[Operation]
    ROUTE: ClassVar[str]

    @property
    def operation(self) -> Operation:
        return self.OPERATION

    @property
    def route(self) -> str:
        """The path under the gateway's base URL."""
        return self.ROUTE

    def files(self) -> list[ImageFile]:
        """Every file the request uploads."""
        found: list[ImageFile] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, ImageFile):
                found.append(value)
            elif isinstance(value, tuple):
                found.extend(item for item in value if isinstance(item, ImageFile))
        return found

    def encode(self) -> WireBody:  # pragma: no cover - every concrete request overrides it
        raise NotImplementedError
