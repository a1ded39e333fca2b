"""Every command option, declared once: the single source the rest is generated from.

For each option: its type, range, choices (or autocomplete list), English description, which operations take it
with model V_3 and which with the legacy models (upscale and describe have no model and count as legacy), which
legacy models, where it is required, which options it can't be combined with, whether derived jobs (Again, vary,
remix) carry it over, and whether it changes the price. Generated from this table: request validation
(`options.py`), the slash commands' parameters, choices, autocompletes and descriptions (`cogs/generate.py`), the
options carried to derived jobs (`carried`), and the tests' expectations.

Adding an option: one `OptionSpec` below (with a parser in `parsers.py` if its value has its own grammar), its
name in the `COMMANDS` that offer it, and a field on the request models if the API side is new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.i18n import N_
from bot.ideogram import parsers
from bot.ideogram.errors import InvalidRequest
from bot.ideogram.option_spec import CommandSpec, OptionSpec
from bot.ideogram.values import (
    ASPECT_RATIOS_V3,
    COLOR_PALETTE_LEGACY_MODELS,
    COLOR_PALETTE_PRESETS,
    DESCRIBE_MODEL_VERSIONS,
    LEGACY_EDIT_MODELS,
    LEGACY_ONLY_STYLE_TYPES,
    MAGIC_PROMPT_OPTIONS,
    MAX_NUM_IMAGES,
    MAX_SEED,
    MODELS,
    NEGATIVE_PROMPT_LEGACY_MODELS,
    RENDERING_SPEEDS,
    RESOLUTION_LEGACY_MODELS,
    RESOLUTIONS_V3,
    STYLE_PRESETS,
    STYLE_TYPE_LEGACY_MODELS,
    STYLE_TYPES_V3,
    V3_MODEL,
    Operation,
)

MAX_PROMPT_LENGTH: Final = 4000

_V3: Final[frozenset[Operation]] = frozenset({"generate", "remix", "edit", "reframe", "replace_background"})
_COMPOSED: Final[frozenset[Operation]] = frozenset({"generate", "remix"})
_PROMPTED_V3: Final[frozenset[Operation]] = frozenset({"generate", "remix", "edit", "replace_background"})
_PROMPTED_LEGACY: Final[frozenset[Operation]] = frozenset({"generate", "remix", "edit", "upscale"})
_WITH_IMAGE: Final[frozenset[Operation]] = frozenset({"remix", "edit", "reframe", "replace_background"})

_SPECS: Final = (
    OptionSpec(
        "prompt",
        "text",
        "What to draw",
        v3=_PROMPTED_V3,
        legacy=_PROMPTED_LEGACY,
        required=_PROMPTED_V3,
        low=1,
        high=MAX_PROMPT_LENGTH,
        parse=parsers.prompt,
        carried=True,
    ),
    OptionSpec(
        "negative_prompt",
        "text",
        "What to leave out",
        v3=_COMPOSED,
        legacy=_COMPOSED,
        legacy_models=NEGATIVE_PROMPT_LEGACY_MODELS,
        model_refusal=N_("{model} doesn't take a `negative_prompt`. Remove it, or use {models}."),
        parse=parsers.optional_text("negative_prompt"),
        carried=True,
    ),
    OptionSpec(
        "aspect_ratio",
        "text",
        "Shape of the image, e.g. 16x9 (not with resolution)",
        v3=_COMPOSED,
        legacy=_COMPOSED,
        values=ASPECT_RATIOS_V3,
        parse=parsers.aspect_ratio,
        carried=True,
    ),
    OptionSpec(
        "rendering_speed",
        "text",
        "FLASH/TURBO are cheapest, QUALITY is best",
        v3=_V3,
        values=RENDERING_SPEEDS,
        carried=True,
        priced=True,
    ),
    OptionSpec(
        "style_type",
        "text",
        "Overall style",
        v3=frozenset({"generate", "remix", "edit"}),
        legacy=frozenset({"generate", "remix", "edit"}),
        legacy_models=STYLE_TYPE_LEGACY_MODELS,
        model_refusal=N_("`style_type` needs model V_2 or newer; {model} doesn't take it. Remove it or pick V_2."),
        values=(*STYLE_TYPES_V3, *LEGACY_ONLY_STYLE_TYPES),
        parse=parsers.style_type,
        carried=True,
    ),
    OptionSpec(
        "magic_prompt",
        "text",
        "Let Ideogram expand your prompt",
        v3=_PROMPTED_V3,
        legacy=_PROMPTED_LEGACY,
        values=MAGIC_PROMPT_OPTIONS,
        legacy_field="magic_prompt_option",
        carried=True,
    ),
    OptionSpec(
        "num_images",
        "integer",
        "How many images, 1-8 (each one is charged)",
        v3=_V3,
        legacy=_PROMPTED_LEGACY,
        low=1,
        high=MAX_NUM_IMAGES,
        carried=True,
        priced=True,
    ),
    OptionSpec(
        "seed",
        "integer",
        "Same seed + same prompt = similar result",
        v3=_V3,
        legacy=_PROMPTED_LEGACY,
        low=0,
        high=MAX_SEED,
    ),
    OptionSpec(
        "model",
        "text",
        "Ideogram model (V_3 is the newest)",
        v3=_V3,
        legacy=frozenset({"generate", "remix", "edit"}),
        values=MODELS,
        priced=True,
    ),
    OptionSpec(
        "resolution",
        "text",
        "Exact size in pixels, e.g. 1280x800 (not with aspect_ratio)",
        v3=frozenset({"generate", "remix", "reframe"}),
        legacy=_COMPOSED,
        legacy_models=RESOLUTION_LEGACY_MODELS,
        required=frozenset({"reframe"}),
        values=RESOLUTIONS_V3,
        autocomplete=True,
        parse=parsers.resolution,
        excludes=("aspect_ratio",),
    ),
    OptionSpec(
        "style_preset",
        "text",
        "A named look, e.g. WATERCOLOR (V_3 only)",
        v3=_V3,
        values=STYLE_PRESETS,
        autocomplete=True,
        carried=True,
    ),
    OptionSpec(
        "color_palette",
        "text",
        "A preset (e.g. PASTEL) or hex colours like #ff0000,#00ff00",
        v3=_V3,
        legacy=_COMPOSED,
        legacy_models=COLOR_PALETTE_LEGACY_MODELS,
        values=COLOR_PALETTE_PRESETS,
        autocomplete=True,
        parse=parsers.color_palette,
        carried=True,
    ),
    OptionSpec(
        "style_codes",
        "text",
        "Style codes, 8 hex digits each, e.g. AAFF5733 (V_3 only; not with style_type)",
        v3=_V3,
        parse=parsers.style_codes,
        excludes=("style_type", "style_reference"),
        carried=True,
    ),
    OptionSpec(
        "style_reference",
        "attachment",
        "An image whose style to follow (V_3 only)",
        v3=_V3,
        field="style_reference_images",
    ),
    OptionSpec(
        "image",
        "attachment",
        "The image to work on (PNG, JPEG or WebP)",
        v3=_WITH_IMAGE,
        legacy=frozenset({"remix", "edit", "upscale", "describe"}),
        required=frozenset({"remix", "edit", "reframe", "replace_background", "upscale", "describe"}),
    ),
    OptionSpec(
        "mask",
        "attachment",
        "Black where the image should change, white where it stays",
        v3=frozenset({"edit"}),
        legacy=frozenset({"edit"}),
        required=frozenset({"edit"}),
    ),
    OptionSpec(
        "image_weight",
        "integer",
        "How closely to follow the image, 1-100 (default 50)",
        v3=frozenset({"remix"}),
        legacy=frozenset({"remix"}),
        low=1,
        high=100,
    ),
    OptionSpec(
        "invert_mask",
        "boolean",
        "Swap black and white in the mask",
        v3=frozenset({"edit"}),
        legacy=frozenset({"edit"}),
        sent=False,
    ),
    OptionSpec(
        "model_version",
        "text",
        "Describe model",
        legacy=frozenset({"describe"}),
        values=DESCRIBE_MODEL_VERSIONS,
        field="describe_model_version",
    ),
    OptionSpec(
        "resemblance", "integer", "How close to the original, 1-100", legacy=frozenset({"upscale"}), low=1, high=100
    ),
    OptionSpec("detail", "integer", "How much detail to add, 1-100", legacy=frozenset({"upscale"}), low=1, high=100),
)
OPTIONS: Final[Mapping[str, OptionSpec]] = {spec.name: spec for spec in _SPECS}

_COMPOSING: Final = (
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
    "style_reference",
    "style_codes",
)
_COMMANDS: Final = (
    CommandSpec("imagine", "generate", "Create images from a prompt.", ("prompt", *_COMPOSING)),
    CommandSpec(
        "remix",
        "remix",
        "Make new images from an image and a prompt.",
        ("image", "prompt", "image_weight", *_COMPOSING),
    ),
    CommandSpec(
        "edit",
        "edit",
        "Repaint the black part of a mask on an image.",
        (
            "image",
            "mask",
            "prompt",
            "rendering_speed",
            "magic_prompt",
            "num_images",
            "seed",
            "style_type",
            "model",
            "invert_mask",
        ),
    ),
    CommandSpec("describe", "describe", "Describe an image in words.", ("image", "model_version")),
    CommandSpec(
        "upscale",
        "upscale",
        "Enlarge an image up to 2x.",
        ("image", "prompt", "resemblance", "detail", "magic_prompt", "num_images", "seed"),
    ),
    CommandSpec(
        "reframe",
        "reframe",
        "Extend a square image to a new size.",
        ("image", "resolution", "rendering_speed", "num_images", "seed"),
    ),
    CommandSpec(
        "replace-background",
        "replace_background",
        "Keep the subject, paint a new background.",
        ("image", "prompt", "rendering_speed", "magic_prompt", "num_images", "seed", "style_reference"),
    ),
)
COMMANDS: Final[Mapping[str, CommandSpec]] = {command.name: command for command in _COMMANDS}

# The models each operation runs on, V_3 (the default) first; none for upscale and describe.
OPERATION_MODELS: Final[Mapping[Operation, tuple[str, ...]]] = {
    "generate": MODELS,
    "remix": MODELS,
    "edit": (V3_MODEL, *LEGACY_EDIT_MODELS),
    "reframe": (V3_MODEL,),
    "replace_background": (V3_MODEL,),
    "upscale": (),
    "describe": (),
}


def applies(name: str, operation: str, model: str | None) -> bool:
    """Whether option `name` may be given to `operation` with `model` (None for upscale and describe)."""
    return OPTIONS[name].takes(operation, model)


def required(operation: str) -> tuple[str, ...]:
    """The options (attachments included) `operation` can't run without, in catalogue order."""
    return tuple(name for name, spec in OPTIONS.items() if operation in spec.required)


def command_name(operation: str) -> str:
    """The slash command that runs `operation` (without the slash)."""
    return next(command.name for command in _COMMANDS if command.operation == operation)


def carried(parameters: Mapping[str, object], operation: str, model: str | None = V3_MODEL) -> dict[str, object]:
    """The options of a stored job that a job derived from it keeps: prompt and style settings (never the seed),
    only those that `operation` with `model` takes, with values it accepts (a legacy-only style is dropped for
    V_3). The derivation adds what is its own (a new prompt, the model, an image weight)."""
    kept: dict[str, object] = {}
    for name, value in parameters.items():
        spec = OPTIONS.get(name)
        if value is None or spec is None or not spec.carried or not spec.takes(operation, model):
            continue
        try:
            spec.read(value, model)
        except InvalidRequest:
            continue
        kept[name] = value
    return kept
