"""The legacy requests (spec §6.6-6.10): generate, remix, edit, upscale and describe, with the per-model rules.

Wire formats (spec §1.3): legacy generate takes JSON `{"image_request": …}`; legacy remix and upscale take
multipart with `image_request` as a JSON string plus `image_file`; legacy edit takes flat multipart with
`image_file` and `mask`; describe takes `image_file` and `describe_model_version`.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from pydantic import model_validator

from bot.i18n import _
from bot.ideogram.errors import InvalidRequest
from bot.ideogram.files import ImageFile
from bot.ideogram.requests_common import ColorPalette, NumImages, Percent, Prompt, Seed, _Request
from bot.ideogram.values import (
    COLOR_PALETTE_LEGACY_MODELS,
    LEGACY_EDIT_MODELS,
    NEGATIVE_PROMPT_LEGACY_MODELS,
    RESOLUTION_LEGACY_MODELS,
    STYLE_TYPE_LEGACY_MODELS,
    DescribeModelVersion,
    LegacyAspectRatio,
    LegacyEditModel,
    LegacyModel,
    LegacyResolution,
    LegacyStyleType,
    MagicPrompt,
)
from bot.ideogram.wire import FilePart, JsonBody, Multipart, TextPart

_JSON: Final = "application/json"


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
            raise InvalidRequest(_("Use either `resolution` or `aspect_ratio`, not both."))
        if self.resolution is not None and self.model not in RESOLUTION_LEGACY_MODELS:
            raise InvalidRequest(
                _(
                    "`resolution` works with V_3, V_2 and V_2_TURBO, not {model}. Use `aspect_ratio` or another model.",
                    model=self.model,
                )
            )
        if self.negative_prompt is not None and self.model not in NEGATIVE_PROMPT_LEGACY_MODELS:
            raise InvalidRequest(
                _(
                    "{model} doesn't take a `negative_prompt`. Remove it, or use V_3, V_2, V_2_TURBO, V_1 "
                    "or V_1_TURBO.",
                    model=self.model,
                )
            )
        if self.style_type is not None and self.model not in STYLE_TYPE_LEGACY_MODELS:
            raise InvalidRequest(
                _(
                    "`style_type` needs model V_2 or newer; {model} doesn't take it. Remove it or pick V_2.",
                    model=self.model,
                )
            )
        if self.color_palette is not None and self.model not in COLOR_PALETTE_LEGACY_MODELS:
            raise InvalidRequest(
                _(
                    "`color_palette` works with V_3, V_2 and V_2_TURBO, not {model}. Remove it or pick another model.",
                    model=self.model,
                )
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
        raise InvalidRequest(
            _("Editing works with V_3, V_2 or V_2_TURBO; {model} can't edit. Pick one of those.", model=value)
        )
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
