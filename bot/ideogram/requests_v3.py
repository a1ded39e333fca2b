"""The V3 requests (spec §6.1-6.5): generate, remix, edit, reframe and replace-background.

Every V3 route takes flat multipart (spec §1.3), so they share one encoding; a colour palette goes as a JSON string
part.
"""

from __future__ import annotations

import json

from pydantic import model_validator

from bot.i18n import _
from bot.ideogram.errors import InvalidRequest
from bot.ideogram.files import ImageFile
from bot.ideogram.requests_common import ColorPalette, NumImages, Percent, Prompt, Seed, StyleCode, _Request
from bot.ideogram.values import (
    V3_MODEL,
    AspectRatioV3,
    MagicPrompt,
    RenderingSpeed,
    ResolutionV3,
    StylePreset,
    StyleTypeV3,
    V3Model,
)
from bot.ideogram.wire import FilePart, Multipart, TextPart


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
                _("`style_codes` can't be combined with `style_type` or a style reference image. Use one of them.")
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
