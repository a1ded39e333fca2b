"""From the bot's command options to a typed request: routing, mapping to legacy spellings, validation.

The commands speak one vocabulary (DESIGN.md: `aspect_ratio` as `16x9`, `magic_prompt`, `model` V_3 by default);
the API has two (V3 and legacy). `build_request` picks the endpoint from `operation` and `model`, maps the
values, and refuses anything the API would refuse with an `InvalidRequest` that says what to change, before a
cent is held or a byte is sent. Options whose value is None are treated as not given (Discord's unset options).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from bot.ideogram.errors import InvalidRequest
from bot.ideogram.files import DEFAULT_MAX_UPLOAD_BYTES, ImageFile, check_image
from bot.ideogram.requests import (
    ColorMember,
    ColorPalette,
    DescribeRequest,
    IdeogramRequest,
    LegacyEditRequest,
    LegacyGenerateRequest,
    LegacyRemixRequest,
    UpscaleRequest,
    V3EditRequest,
    V3GenerateRequest,
    V3ReframeRequest,
    V3RemixRequest,
    V3ReplaceBackgroundRequest,
)
from bot.ideogram.values import (
    ASPECT_RATIOS_V3,
    COLOR_HEX_PATTERN,
    COLOR_PALETTE_PRESETS,
    DESCRIBE_MODEL_VERSIONS,
    LEGACY_ASPECT_RATIOS_AS_V3,
    LEGACY_EDIT_MODELS,
    LEGACY_ONLY_STYLE_TYPES,
    LEGACY_RESOLUTIONS_AS_V3,
    LEGACY_STYLE_TYPES,
    MAGIC_PROMPT_OPTIONS,
    MAX_COLOR_PALETTE_MEMBERS,
    MAX_NUM_IMAGES,
    MAX_SEED,
    MODELS,
    OPERATIONS,
    RENDERING_SPEEDS,
    RESOLUTIONS_V3,
    STYLE_CODE_PATTERN,
    STYLE_PRESETS,
    STYLE_TYPE_LEGACY_MODELS,
    STYLE_TYPES_V3,
    V3_MODEL,
    legacy_aspect_ratio,
    legacy_resolution,
)

COMMAND_NAMES: Final[Mapping[str, str]] = {
    "generate": "/imagine",
    "remix": "/remix",
    "edit": "/edit",
    "reframe": "/reframe",
    "replace_background": "/replace-background",
    "upscale": "/upscale",
    "describe": "/describe",
}
OPTION_NAMES: Final = frozenset(
    {
        "prompt",
        "negative_prompt",
        "aspect_ratio",
        "rendering_speed",
        "style_type",
        "magic_prompt",
        "num_images",
        "seed",
        "model",
        "resolution",
        "style_preset",
        "color_palette",
        "style_codes",
        "image_weight",
        "resemblance",
        "detail",
        "model_version",
    }
)
IMAGE_NAMES: Final = frozenset({"image", "mask", "style_reference"})

_V3_COMMON: Final = frozenset(
    {"rendering_speed", "num_images", "seed", "model", "style_preset", "color_palette", "style_codes"}
)
_V3_ONLY: Final = frozenset({"rendering_speed", "style_preset", "style_codes", "style_reference"})
_V3_GENERATE: Final = _V3_COMMON | {
    "prompt",
    "negative_prompt",
    "aspect_ratio",
    "resolution",
    "style_type",
    "magic_prompt",
}
_LEGACY_GENERATE: Final = frozenset(
    {
        "prompt",
        "negative_prompt",
        "aspect_ratio",
        "resolution",
        "style_type",
        "magic_prompt",
        "num_images",
        "seed",
        "model",
        "color_palette",
    }
)
V3_OPTIONS: Final[Mapping[str, frozenset[str]]] = {
    "generate": _V3_GENERATE,
    "remix": _V3_GENERATE | {"image_weight"},
    "edit": _V3_COMMON | {"prompt", "magic_prompt", "style_type"},
    "reframe": _V3_COMMON | {"resolution"},
    "replace_background": _V3_COMMON | {"prompt", "magic_prompt"},
}
LEGACY_OPTIONS: Final[Mapping[str, frozenset[str]]] = {
    "generate": _LEGACY_GENERATE,
    "remix": _LEGACY_GENERATE | {"image_weight"},
    "edit": frozenset({"prompt", "magic_prompt", "num_images", "seed", "style_type", "model"}),
    "upscale": frozenset({"prompt", "resemblance", "detail", "magic_prompt", "num_images", "seed"}),
    "describe": frozenset({"model_version"}),
}
REQUIRED_OPTIONS: Final[Mapping[str, frozenset[str]]] = {
    "generate": frozenset({"prompt"}),
    "remix": frozenset({"prompt"}),
    "edit": frozenset({"prompt"}),
    "reframe": frozenset({"resolution"}),
    "replace_background": frozenset({"prompt"}),
    "upscale": frozenset(),
    "describe": frozenset(),
}
REQUIRED_IMAGES: Final[Mapping[str, tuple[str, ...]]] = {
    "generate": (),
    "remix": ("image",),
    "edit": ("image", "mask"),
    "reframe": ("image",),
    "replace_background": ("image",),
    "upscale": ("image",),
    "describe": ("image",),
}
_NO_MODEL: Final = frozenset({"upscale", "describe"})
_V3_ONLY_OPERATIONS: Final = frozenset({"reframe", "replace_background"})
_MAX_LISTED: Final = 16


def _listing(values: Iterable[str]) -> str:
    items = list(values)
    if len(items) <= _MAX_LISTED:
        return ", ".join(items)
    return ", ".join(items[:_MAX_LISTED]) + f" and {len(items) - _MAX_LISTED} more"


def _choice(name: str, value: object, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    raise InvalidRequest(f"`{name}` can't be `{value}`. Use one of: {_listing(allowed)}.")


def _number(name: str, value: object, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        number = int(value)
    if number is None or not low <= number <= high:
        raise InvalidRequest(f"`{name}` must be a whole number from {low} to {high}, not `{value}`.")
    return number


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"`{name}` must be text.")
    return value.strip()


def parse_color_palette(value: object) -> ColorPalette:
    """A preset name (`EMBER`) or comma-separated hex colours (`#ff0000,#00ff00`), up to 8."""
    text = _text("color_palette", value)
    if text in COLOR_PALETTE_PRESETS:
        return ColorPalette(name=text)
    colours = [part.strip() for part in text.split(",") if part.strip()]
    if colours and all(re.fullmatch(COLOR_HEX_PATTERN, colour) for colour in colours):
        if len(colours) > MAX_COLOR_PALETTE_MEMBERS:
            raise InvalidRequest(f"`color_palette` takes at most {MAX_COLOR_PALETTE_MEMBERS} colours.")
        return ColorPalette(members=tuple(ColorMember(color_hex=colour) for colour in colours))
    raise InvalidRequest(
        f"`color_palette` can't be `{text}`. Use a preset ({', '.join(COLOR_PALETTE_PRESETS)}) "
        "or hex colours separated by commas, like `#ff0000,#00ff00`."
    )


def parse_style_codes(value: object) -> tuple[str, ...]:
    """Style codes as 8-digit hex strings, given as a list or as text separated by commas or spaces."""
    if isinstance(value, str):
        codes = [code for code in re.split(r"[\s,]+", value) if code]
    elif isinstance(value, list | tuple) and all(isinstance(code, str) for code in value):
        codes = [code.strip() for code in value if code.strip()]
    else:
        raise InvalidRequest("`style_codes` must be text, like `AAFF5733`.")
    bad = [code for code in codes if not re.fullmatch(STYLE_CODE_PATTERN, code)]
    if bad or not codes:
        raise InvalidRequest(
            f"`{bad[0] if bad else value}` isn't a style code. Style codes are 8 hex digits, like `AAFF5733`."
        )
    return tuple(codes)


def _not_applicable(name: str, operation: str, model: str | None) -> InvalidRequest:
    command = COMMAND_NAMES[operation]
    legacy = model is not None and model != V3_MODEL
    if legacy and name in _V3_ONLY:
        return InvalidRequest(f"`{name}` works only with model V_3, not {model}. Remove it or use V_3.")
    if name == "image_weight":
        return InvalidRequest("`image_weight` only applies to /remix.")
    if name in ("model", "mask"):
        return InvalidRequest(f"{command} doesn't take a `{name}`.")
    if legacy and name in V3_OPTIONS.get(operation, ()):
        return InvalidRequest(f"{command} with {model} doesn't take `{name}`. Remove it or use model V_3.")
    return InvalidRequest(f"{command} doesn't take `{name}`.")


def build_request(
    operation: str,
    *,
    options: Mapping[str, object],
    images: Mapping[str, bytes],
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> IdeogramRequest:
    """The typed request for a command's options and attachments, or `InvalidRequest` saying what to fix.

    `options` use DESIGN.md's command option names; `images` maps `image`, `mask`, `style_reference` to bytes.
    An option or image name the bot doesn't know at all is a programming error (`TypeError`), not a user's.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    given = {name: value for name, value in options.items() if value is not None}
    unknown = sorted(set(given) - OPTION_NAMES) + sorted(set(images) - IMAGE_NAMES)
    if unknown:
        raise TypeError(f"build_request: unknown option(s) {', '.join(unknown)}")
    model = _route(operation, given)
    _check_names(operation, model, given, images)
    fields = _fields(given, legacy=model != V3_MODEL, model=model)
    for name, data in images.items():
        check_image(data, label=name, max_bytes=max_upload_bytes)
    files = {name: ImageFile.from_bytes(data, stem=name) for name, data in images.items()}
    if "style_reference" in files:
        fields["style_reference_images"] = (files.pop("style_reference"),)
    fields.update(files)

    if model is None:
        return DescribeRequest(**fields) if operation == "describe" else UpscaleRequest(**fields)
    if model != V3_MODEL:
        fields["model"] = model
        if operation == "generate":
            return LegacyGenerateRequest(**fields)
        if operation == "remix":
            return LegacyRemixRequest(**fields)
        return LegacyEditRequest(**fields)
    if operation == "generate":
        return V3GenerateRequest(**fields)
    if operation == "remix":
        return V3RemixRequest(**fields)
    if operation == "edit":
        return V3EditRequest(**fields)
    if operation == "reframe":
        return V3ReframeRequest(**fields)
    return V3ReplaceBackgroundRequest(**fields)


def _route(operation: str, given: Mapping[str, object]) -> str | None:
    """The model, which picks the endpoint: None for upscale/describe (no model), V_3 by default."""
    command = COMMAND_NAMES[operation]
    if operation in _NO_MODEL:
        if "model" in given:
            raise _not_applicable("model", operation, None)
        return None
    model = _choice("model", given.get("model", V3_MODEL), MODELS)
    if model == V3_MODEL:
        return model
    if operation in _V3_ONLY_OPERATIONS:
        raise InvalidRequest(f"{command} works only with model V_3, not {model}.")
    if operation == "edit" and model not in LEGACY_EDIT_MODELS:
        raise InvalidRequest(f"Editing works with V_3, V_2 or V_2_TURBO; {model} can't edit. Pick one of those.")
    return model


def _check_names(operation: str, model: str | None, given: Mapping[str, object], images: Mapping[str, bytes]) -> None:
    """Every option and attachment applies to this operation and model; the required ones are there."""
    command = COMMAND_NAMES[operation]
    legacy = model != V3_MODEL
    allowed = LEGACY_OPTIONS[operation] if legacy else V3_OPTIONS[operation]
    for name in given:
        if name not in allowed:
            raise _not_applicable(name, operation, model)
    allowed_images = set(REQUIRED_IMAGES[operation]) | (set() if legacy else {"style_reference"})
    for name in images:
        if name not in allowed_images:
            raise _not_applicable(name, operation, model)
    for name in sorted(REQUIRED_OPTIONS[operation]):
        if name not in given:
            raise InvalidRequest(f"{command} needs a `{name}`.")
    for name in REQUIRED_IMAGES[operation]:
        if name not in images:
            raise InvalidRequest(f"{command} needs an `{name}` attachment.")


def _fields(given: Mapping[str, object], *, legacy: bool, model: str | None) -> dict[str, object]:
    """Option values parsed, checked and renamed/re-spelled for the endpoint `_route` chose."""
    fields: dict[str, object] = {}
    if "prompt" in given:
        prompt = _text("prompt", given["prompt"])
        if not prompt:
            raise InvalidRequest("The prompt can't be empty. Describe what you want to see.")
        fields["prompt"] = prompt
    if "negative_prompt" in given and (negative := _text("negative_prompt", given["negative_prompt"])):
        fields["negative_prompt"] = negative
    if "aspect_ratio" in given:
        fields["aspect_ratio"] = _aspect_ratio(given["aspect_ratio"], legacy=legacy, model=model)
    if "resolution" in given:
        fields["resolution"] = _resolution(given["resolution"], legacy=legacy, model=model)
    if "rendering_speed" in given:
        fields["rendering_speed"] = _choice("rendering_speed", given["rendering_speed"], RENDERING_SPEEDS)
    if "style_type" in given:
        style = given["style_type"]
        if not legacy and style in LEGACY_ONLY_STYLE_TYPES:
            raise InvalidRequest(
                f"Style {style} exists only on the older models ({', '.join(STYLE_TYPE_LEGACY_MODELS)}); "
                f"V_3 takes {', '.join(STYLE_TYPES_V3)}."
            )
        fields["style_type"] = _choice("style_type", style, LEGACY_STYLE_TYPES if legacy else STYLE_TYPES_V3)
    if "magic_prompt" in given:
        magic = _choice("magic_prompt", given["magic_prompt"], MAGIC_PROMPT_OPTIONS)
        fields["magic_prompt_option" if legacy else "magic_prompt"] = magic
    if "num_images" in given:
        fields["num_images"] = _number("num_images", given["num_images"], 1, MAX_NUM_IMAGES)
    if "seed" in given:
        fields["seed"] = _number("seed", given["seed"], 0, MAX_SEED)
    for name in ("image_weight", "resemblance", "detail"):
        if name in given:
            fields[name] = _number(name, given[name], 1, 100)
    if "style_preset" in given:
        fields["style_preset"] = _choice("style_preset", given["style_preset"], STYLE_PRESETS)
    if "color_palette" in given:
        fields["color_palette"] = parse_color_palette(given["color_palette"])
    if "style_codes" in given:
        fields["style_codes"] = parse_style_codes(given["style_codes"])
    if "model_version" in given:
        fields["describe_model_version"] = _choice("model_version", given["model_version"], DESCRIBE_MODEL_VERSIONS)
    return fields


def _aspect_ratio(value: object, *, legacy: bool, model: str | None) -> str:
    ratio = _choice("aspect_ratio", value, ASPECT_RATIOS_V3)
    if not legacy:
        return ratio
    if ratio not in LEGACY_ASPECT_RATIOS_AS_V3:
        missing = ", ".join(r for r in ASPECT_RATIOS_V3 if r not in LEGACY_ASPECT_RATIOS_AS_V3)
        raise InvalidRequest(
            f"Aspect ratio {ratio} needs model V_3: {model} has no {missing}. "
            f"Use V_3, or one of: {', '.join(LEGACY_ASPECT_RATIOS_AS_V3)}."
        )
    return legacy_aspect_ratio(ratio)


def _resolution(value: object, *, legacy: bool, model: str | None) -> str:
    if not legacy:
        return _choice("resolution", value, RESOLUTIONS_V3)
    if value in RESOLUTIONS_V3 and value not in LEGACY_RESOLUTIONS_AS_V3:
        raise InvalidRequest(f"Resolution {value} needs model V_3; {model} doesn't offer it.")
    return legacy_resolution(_choice("resolution", value, LEGACY_RESOLUTIONS_AS_V3))
