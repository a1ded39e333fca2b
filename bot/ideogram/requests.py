"""Typed requests, one per operation, each knowing its route and how it goes on the wire.

Every user-facing parameter of spec §6 is here except character references (priced differently, not offered by
the bot). Fields use the API's names and spellings; `build_request` (in `options.py`) maps the bot's command
options onto them. The combination rules the API enforces are checked on construction, so a request that exists
is one the API should accept; breaking a rule raises `InvalidRequest`, never a pydantic `ValidationError`.

Wire formats (spec §1.3): V3 routes take flat multipart; legacy generate takes JSON `{"image_request": …}`;
legacy remix and upscale take multipart with `image_request` as a JSON string plus `image_file`; legacy edit takes
flat multipart with `image_file` and `mask`; describe takes `image_file` and `describe_model_version`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails

from bot.ideogram.errors import InvalidRequest
from bot.ideogram.files import ImageFile
from bot.ideogram.values import (
    COLOR_HEX_PATTERN,
    COLOR_PALETTE_LEGACY_MODELS,
    LEGACY_EDIT_MODELS,
    MAX_COLOR_PALETTE_MEMBERS,
    MAX_NUM_IMAGES,
    MAX_SEED,
    NEGATIVE_PROMPT_LEGACY_MODELS,
    RESOLUTION_LEGACY_MODELS,
    STYLE_CODE_PATTERN,
    STYLE_TYPE_LEGACY_MODELS,
    V3_MODEL,
    AspectRatioV3,
    ColorPalettePreset,
    DescribeModelVersion,
    LegacyAspectRatio,
    LegacyEditModel,
    LegacyModel,
    LegacyResolution,
    LegacyStyleType,
    MagicPrompt,
    Operation,
    RenderingSpeed,
    ResolutionV3,
    StylePreset,
    StyleTypeV3,
    V3Model,
)
from bot.ideogram.wire import FilePart, JsonBody, Multipart, TextPart, WireBody

NumImages = Annotated[int, Field(ge=1, le=MAX_NUM_IMAGES)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Percent = Annotated[int, Field(ge=1, le=100)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StyleCode = Annotated[str, StringConstraints(pattern=STYLE_CODE_PATTERN)]

_MAX_LISTED_CHARS: Final = 300
_JSON: Final = "application/json"


def _friendly(exc: ValidationError) -> str:
    """One sentence for the first problem pydantic found, naming the field as the API names it."""
    error: ErrorDetails = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "request"
    kind = error["type"]
    context = error.get("ctx", {})
    if kind == "missing":
        return f"`{field}` is required."
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "")
        if len(expected) > _MAX_LISTED_CHARS:
            expected = expected[:_MAX_LISTED_CHARS].rsplit(",", 1)[0] + " and more"
        return f"`{field}` can't be `{error['input']}`. Use one of: {expected}."
    message = error["msg"].removeprefix("Value error, ")
    return f"`{field}`: {message[0].lower()}{message[1:]}."


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
            raise InvalidRequest("A colour palette is either a preset name or a list of colours, not both.")
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


# --- V3 -------------------------------------------------------------------------------------------------------


class _V3Request(_Request):
    """Fields every V3 route takes, and the flat multipart encoding they share."""

    rendering_speed: RenderingSpeed = "DEFAULT"
    num_images: NumImages = 1
    seed: Seed | None = None
    style_preset: StylePreset | None = None
    color_palette: ColorPalette | None = None
    style_codes: tuple[StyleCode, ...] = ()
    style_reference_images: tuple[ImageFile, ...] = ()

    @property
    def model(self) -> V3Model:
        return V3_MODEL

    @model_validator(mode="after")
    def _style_codes_alone(self) -> _V3Request:
        if self.style_codes and (self.style_reference_images or getattr(self, "style_type", None) is not None):
            raise InvalidRequest(
                "`style_codes` can't be combined with `style_type` or a style reference image. Use one of them."
            )
        return self

    def encode(self) -> Multipart:
        parts: list[TextPart | FilePart] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, ImageFile):
                parts.append(FilePart(name, value))
            elif isinstance(value, tuple):
                parts.extend(FilePart(name, v) if isinstance(v, ImageFile) else TextPart(name, str(v)) for v in value)
            elif isinstance(value, ColorPalette):
                parts.append(TextPart(name, json.dumps(value.wire(), separators=(",", ":"))))
            else:
                parts.append(TextPart(name, str(value)))
        return Multipart(tuple(parts))


class _V3Prompted(_V3Request):
    prompt: Prompt
    magic_prompt: MagicPrompt | None = None


class _V3Composed(_V3Prompted):
    """Generate and remix: the routes that choose the output's shape and take a negative prompt."""

    negative_prompt: str | None = None
    aspect_ratio: AspectRatioV3 | None = None
    resolution: ResolutionV3 | None = None
    style_type: StyleTypeV3 | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> _V3Composed:
        if self.aspect_ratio is not None and self.resolution is not None:
            raise InvalidRequest("Use either `resolution` or `aspect_ratio`, not both.")
        return self


class V3GenerateRequest(_V3Composed):
    """`POST /ideogram/v1/ideogram-v3/generate` (spec §6.1)."""

    OPERATION = "generate"
    ROUTE = "/ideogram/v1/ideogram-v3/generate"


class V3RemixRequest(_V3Composed):
    """`POST /ideogram/v1/ideogram-v3/remix` (spec §6.2). The image is cropped to the chosen aspect ratio."""

    OPERATION = "remix"
    ROUTE = "/ideogram/v1/ideogram-v3/remix"

    image: ImageFile
    image_weight: Percent | None = None


class V3EditRequest(_V3Prompted):
    """`POST /ideogram/v1/ideogram-v3/edit` (spec §6.3). Black mask regions are edited."""

    OPERATION = "edit"
    ROUTE = "/ideogram/v1/ideogram-v3/edit"

    image: ImageFile
    mask: ImageFile
    style_type: StyleTypeV3 | None = None


class V3ReframeRequest(_V3Request):
    """`POST /ideogram/v1/ideogram-v3/reframe` (spec §6.4): a square image to `resolution`; no prompt."""

    OPERATION = "reframe"
    ROUTE = "/ideogram/v1/ideogram-v3/reframe"

    image: ImageFile
    resolution: ResolutionV3


class V3ReplaceBackgroundRequest(_V3Prompted):
    """`POST /ideogram/v1/ideogram-v3/replace-background` (spec §6.5): the prompt describes the new background."""

    OPERATION = "replace_background"
    ROUTE = "/ideogram/v1/ideogram-v3/replace-background"

    image: ImageFile


# --- Legacy ---------------------------------------------------------------------------------------------------


class _LegacyRequest(_Request):
    """Legacy routes: no rendering speed; the price depends on the model (none for upscale/describe)."""

    @property
    def rendering_speed(self) -> None:
        return None


class _LegacyImageRequest(_LegacyRequest):
    """The `ImageRequest` object of legacy generate and remix, with the per-model rules of spec §2.2."""

    prompt: Prompt
    model: LegacyModel
    aspect_ratio: LegacyAspectRatio | None = None
    resolution: LegacyResolution | None = None
    magic_prompt_option: MagicPrompt | None = None
    style_type: LegacyStyleType | None = None
    negative_prompt: str | None = None
    num_images: NumImages = 1
    seed: Seed | None = None
    color_palette: ColorPalette | None = None

    @model_validator(mode="after")
    def _model_rules(self) -> _LegacyImageRequest:
        if self.aspect_ratio is not None and self.resolution is not None:
            raise InvalidRequest("Use either `resolution` or `aspect_ratio`, not both.")
        if self.resolution is not None and self.model not in RESOLUTION_LEGACY_MODELS:
            raise InvalidRequest(
                f"`resolution` works with V_3, V_2 and V_2_TURBO, not {self.model}. "
                "Use `aspect_ratio` or another model."
            )
        if self.negative_prompt is not None and self.model not in NEGATIVE_PROMPT_LEGACY_MODELS:
            raise InvalidRequest(
                f"{self.model} doesn't take a `negative_prompt`. Remove it, or use V_3, V_2, V_2_TURBO, V_1 "
                "or V_1_TURBO."
            )
        if self.style_type is not None and self.model not in STYLE_TYPE_LEGACY_MODELS:
            raise InvalidRequest(
                f"`style_type` needs model V_2 or newer; {self.model} doesn't take it. Remove it or pick V_2."
            )
        if self.color_palette is not None and self.model not in COLOR_PALETTE_LEGACY_MODELS:
            raise InvalidRequest(
                f"`color_palette` works with V_3, V_2 and V_2_TURBO, not {self.model}. Remove it or pick another model."
            )
        return self

    def image_request(self) -> dict[str, object]:
        """The `image_request` object as JSON-ready data."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"image"})


class LegacyGenerateRequest(_LegacyImageRequest):
    """`POST /ideogram/generate` (spec §6.6): JSON `{"image_request": {...}}`."""

    OPERATION = "generate"
    ROUTE = "/ideogram/generate"

    def encode(self) -> JsonBody:
        return JsonBody({"image_request": self.image_request()})


class LegacyRemixRequest(_LegacyImageRequest):
    """`POST /ideogram/remix` (spec §6.8): multipart, `image_request` as a JSON string, plus `image_file`."""

    OPERATION = "remix"
    ROUTE = "/ideogram/remix"

    image: ImageFile
    image_weight: Percent | None = None

    def encode(self) -> Multipart:
        return Multipart(
            (
                TextPart("image_request", json.dumps(self.image_request()), content_type=_JSON),
                FilePart("image_file", self.image),
            )
        )


def _edit_model(value: object) -> object:
    if isinstance(value, str) and value not in LEGACY_EDIT_MODELS:
        raise InvalidRequest(f"Editing works with V_3, V_2 or V_2_TURBO; {value} can't edit. Pick one of those.")
    return value


class LegacyEditRequest(_LegacyRequest):
    """`POST /ideogram/edit` (spec §6.7): flat multipart; only V_2 and V_2_TURBO can edit."""

    OPERATION = "edit"
    ROUTE = "/ideogram/edit"

    image: ImageFile
    mask: ImageFile
    prompt: Prompt
    model: LegacyEditModel
    magic_prompt_option: MagicPrompt | None = None
    num_images: NumImages = 1
    seed: Seed | None = None
    style_type: LegacyStyleType | None = None

    @model_validator(mode="before")
    @classmethod
    def _only_edit_models(cls, data: object) -> object:
        if isinstance(data, dict):
            _edit_model(data.get("model"))
        return data

    def encode(self) -> Multipart:
        parts: list[TextPart | FilePart] = [
            FilePart("image_file", self.image),
            FilePart("mask", self.mask),
            TextPart("prompt", self.prompt),
            TextPart("model", self.model),
        ]
        for name in ("magic_prompt_option", "num_images", "seed", "style_type"):
            value = getattr(self, name)
            if value is not None:
                parts.append(TextPart(name, str(value)))
        return Multipart(tuple(parts))


class UpscaleRequest(_LegacyRequest):
    """`POST /ideogram/upscale` (spec §6.9): multipart, `image_request` JSON string (may be `{}`), `image_file`."""

    OPERATION = "upscale"
    ROUTE = "/ideogram/upscale"

    image: ImageFile
    prompt: Prompt | None = None
    resemblance: Percent | None = None
    detail: Percent | None = None
    magic_prompt_option: MagicPrompt | None = None
    num_images: NumImages = 1
    seed: Seed | None = None

    @property
    def model(self) -> None:
        return None

    def encode(self) -> Multipart:
        image_request = self.model_dump(mode="json", exclude_none=True, exclude={"image"})
        return Multipart(
            (
                TextPart("image_request", json.dumps(image_request), content_type=_JSON),
                FilePart("image_file", self.image),
            )
        )


class DescribeRequest(_LegacyRequest):
    """`POST /ideogram/describe` (spec §6.10): `image_file` and an optional `describe_model_version`."""

    OPERATION = "describe"
    ROUTE = "/ideogram/describe"

    image: ImageFile
    describe_model_version: DescribeModelVersion | None = None

    @property
    def model(self) -> None:
        return None

    @property
    def num_images(self) -> Literal[1]:
        """Describe returns text, priced per call: it counts as one image against limits and budgets."""
        return 1

    def encode(self) -> Multipart:
        parts: list[TextPart | FilePart] = [FilePart("image_file", self.image)]
        if self.describe_model_version is not None:
            parts.append(TextPart("describe_model_version", self.describe_model_version))
        return Multipart(tuple(parts))


GenerationRequest = (
    V3GenerateRequest
    | V3RemixRequest
    | V3EditRequest
    | V3ReframeRequest
    | V3ReplaceBackgroundRequest
    | LegacyGenerateRequest
    | LegacyRemixRequest
    | LegacyEditRequest
    | UpscaleRequest
)
IdeogramRequest = GenerationRequest | DescribeRequest
REQUEST_TYPES: Final[tuple[type[_Request], ...]] = (
    V3GenerateRequest,
    V3RemixRequest,
    V3EditRequest,
    V3ReframeRequest,
    V3ReplaceBackgroundRequest,
    LegacyGenerateRequest,
    LegacyRemixRequest,
    LegacyEditRequest,
    UpscaleRequest,
    DescribeRequest,
)
