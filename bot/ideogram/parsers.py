"""How one option's value is read and checked: whole numbers, choices, text, and the few options with their own
grammar (colour palettes, style codes) or a legacy spelling (aspect ratios, resolutions, style types).

Every parser takes the value as given and the model the request goes to (None for upscale and describe), and
returns the value in the API's spelling, or None to leave the option out; a bad value raises `InvalidRequest`
naming the option and what to use instead. The catalogue (`catalog.py`) says which parser each option uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final, TypeAlias

from bot.i18n import Text, _
from bot.ideogram.errors import InvalidRequest
from bot.ideogram.requests import ColorMember, ColorPalette
from bot.ideogram.values import (
    ASPECT_RATIOS_V3,
    COLOR_HEX_PATTERN,
    COLOR_PALETTE_PRESETS,
    LEGACY_ASPECT_RATIOS_AS_V3,
    LEGACY_ONLY_STYLE_TYPES,
    LEGACY_RESOLUTIONS_AS_V3,
    LEGACY_STYLE_TYPES,
    MAX_COLOR_PALETTE_MEMBERS,
    RESOLUTIONS_V3,
    STYLE_CODE_PATTERN,
    STYLE_TYPE_LEGACY_MODELS,
    STYLE_TYPES_V3,
    V3_MODEL,
    legacy_aspect_ratio,
    legacy_resolution,
)

# (value, model) -> the API's value, or None to leave the option out.
Parser: TypeAlias = Callable[[object, str | None], object]
_MAX_LISTED: Final = 16


def _listing(values: Iterable[str]) -> Text:
    items = list(values)
    if len(items) <= _MAX_LISTED:
        return ", ".join(items)
    return _("{items} and {count} more", items=", ".join(items[:_MAX_LISTED]), count=len(items) - _MAX_LISTED)


def _legacy(model: str | None) -> bool:
    return model is not None and model != V3_MODEL


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    raise InvalidRequest(
        _("`{name}` can't be `{value}`. Use one of: {allowed}.", name=name, value=value, allowed=_listing(allowed))
    )


def number(name: str, value: object, low: int, high: int) -> int:
    parsed: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        parsed = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        parsed = int(value)
    if parsed is None or not low <= parsed <= high:
        raise InvalidRequest(
            _(
                "`{name}` must be a whole number from {low} to {high}, not `{value}`.",
                name=name,
                low=low,
                high=high,
                value=value,
            )
        )
    return parsed


def text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(_("`{name}` must be text.", name=name))
    return value.strip()


def prompt(value: object, model: str | None) -> str:
    parsed = text("prompt", value)
    if not parsed:
        raise InvalidRequest(_("The prompt can't be empty. Describe what you want to see."))
    return parsed


def optional_text(name: str) -> Parser:
    """Text that is simply left out when blank (`negative_prompt`)."""

    def parse(value: object, model: str | None) -> str | None:
        return text(name, value) or None

    return parse


def aspect_ratio(value: object, model: str | None) -> str:
    ratio = choice("aspect_ratio", value, ASPECT_RATIOS_V3)
    if not _legacy(model):
        return ratio
    if ratio not in LEGACY_ASPECT_RATIOS_AS_V3:
        missing = ", ".join(r for r in ASPECT_RATIOS_V3 if r not in LEGACY_ASPECT_RATIOS_AS_V3)
        raise InvalidRequest(
            _(
                "Aspect ratio {ratio} needs model V_3: {model} has no {missing}. Use V_3, or one of: {allowed}.",
                ratio=ratio,
                model=model,
                missing=missing,
                allowed=", ".join(LEGACY_ASPECT_RATIOS_AS_V3),
            )
        )
    return legacy_aspect_ratio(ratio)


def resolution(value: object, model: str | None) -> str:
    if not _legacy(model):
        return choice("resolution", value, RESOLUTIONS_V3)
    if value in RESOLUTIONS_V3 and value not in LEGACY_RESOLUTIONS_AS_V3:
        raise InvalidRequest(
            _("Resolution {value} needs model V_3; {model} doesn't offer it.", value=value, model=model)
        )
    return legacy_resolution(choice("resolution", value, LEGACY_RESOLUTIONS_AS_V3))


def style_type(value: object, model: str | None) -> str:
    legacy = _legacy(model)
    if not legacy and value in LEGACY_ONLY_STYLE_TYPES:
        raise InvalidRequest(
            _(
                "Style {value} exists only on the older models ({models}); V_3 takes {styles}.",
                value=value,
                models=", ".join(STYLE_TYPE_LEGACY_MODELS),
                styles=", ".join(STYLE_TYPES_V3),
            )
        )
    return choice("style_type", value, LEGACY_STYLE_TYPES if legacy else STYLE_TYPES_V3)


def color_palette(value: object, model: str | None = None) -> ColorPalette:
    """A preset name (`EMBER`) or comma-separated hex colours (`#ff0000,#00ff00`), up to 8."""
    given = text("color_palette", value)
    if given in COLOR_PALETTE_PRESETS:
        return ColorPalette(name=given)
    colours = [part.strip() for part in given.split(",") if part.strip()]
    if colours and all(re.fullmatch(COLOR_HEX_PATTERN, colour) for colour in colours):
        if len(colours) > MAX_COLOR_PALETTE_MEMBERS:
            raise InvalidRequest(_("`color_palette` takes at most {count} colours.", count=MAX_COLOR_PALETTE_MEMBERS))
        return ColorPalette(members=tuple(ColorMember(color_hex=colour) for colour in colours))
    raise InvalidRequest(
        _(
            "`color_palette` can't be `{value}`. Use a preset ({presets}) or hex colours separated by commas, "
            "like `#ff0000,#00ff00`.",
            value=given,
            presets=", ".join(COLOR_PALETTE_PRESETS),
        )
    )


def style_codes(value: object, model: str | None = None) -> tuple[str, ...]:
    """Style codes as 8-digit hex strings, given as a list or as text separated by commas or spaces."""
    if isinstance(value, str):
        codes = [code for code in re.split(r"[\s,]+", value) if code]
    elif isinstance(value, list | tuple) and all(isinstance(code, str) for code in value):
        codes = [code.strip() for code in value if code.strip()]
    else:
        raise InvalidRequest(_("`style_codes` must be text, like `AAFF5733`."))
    bad = [code for code in codes if not re.fullmatch(STYLE_CODE_PATTERN, code)]
    if bad or not codes:
        raise InvalidRequest(
            _(
                "`{value}` isn't a style code. Style codes are 8 hex digits, like `AAFF5733`.",
                value=bad[0] if bad else value,
            )
        )
    return tuple(codes)
