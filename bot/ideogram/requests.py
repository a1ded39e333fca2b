"""Typed requests, one per operation, each knowing its route and how it goes on the wire.

Every user-facing parameter of spec §6 is here except character references (priced differently, not offered by
the bot). Fields use the API's names and spellings; `build_request` (in `options.py`) maps the bot's command
options onto them. The combination rules the API enforces are checked on construction, so a request that exists
is one the API should accept; breaking a rule raises `InvalidRequest`, never a pydantic `ValidationError`.

Wire formats (spec §1.3): V3 routes take flat multipart; legacy generate takes JSON `{"image_request": …}`;
legacy remix and upscale take multipart with `image_request` as a JSON string plus `image_file`; legacy edit takes
flat multipart with `image_file` and `mask`; describe takes `image_file` and `describe_model_version`.

The models live in `requests_common.py` (shared base, field types, colour palette), `requests_v3.py` and
`requests_legacy.py`; this module gathers them and names the unions, so callers import from here.
"""

from __future__ import annotations

from typing import Final

from bot.ideogram.requests_common import (
    ColorMember,
    ColorPalette,
    NumImages,
    Percent,
    Prompt,
    Seed,
    StyleCode,
    _Request,
)
from bot.ideogram.requests_legacy import (
    DescribeRequest,
    LegacyEditRequest,
    LegacyGenerateRequest,
    LegacyRemixRequest,
    UpscaleRequest,
)
from bot.ideogram.requests_v3 import (
    V3EditRequest,
    V3GenerateRequest,
    V3ReframeRequest,
    V3RemixRequest,
    V3ReplaceBackgroundRequest,
)

__all__ = [
    "REQUEST_TYPES",
    "ColorMember",
    "ColorPalette",
    "DescribeRequest",
    "GenerationRequest",
    "IdeogramRequest",
    "LegacyEditRequest",
    "LegacyGenerateRequest",
    "LegacyRemixRequest",
    "NumImages",
    "Percent",
    "Prompt",
    "Seed",
    "StyleCode",
    "UpscaleRequest",
    "V3EditRequest",
    "V3GenerateRequest",
    "V3ReframeRequest",
    "V3RemixRequest",
    "V3ReplaceBackgroundRequest",
]

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
