"""The official Ideogram OpenAPI file, turned into the value tables and JSON-Schema validators the fake uses.

The file (`tests/fakes/specs/ideogram-openapi.json`, OpenAPI 3.0.2) is loaded once. Its schemas are converted to
JSON Schema draft 4 (`nullable` becomes a `null` type, `$ref`s point at `#/definitions/...`) and then narrowed to
the *public* API: the hidden enum values and full-spec-only fields listed in `HIDDEN_ENUM_VALUES` and
`HIDDEN_FIELDS` are removed, and every request object (and every object of the fake's own replies) gets
`additionalProperties: false`, so an unknown field is a 400 and a typo in the fake's reply is a fake bug.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match

SPEC_PATH = Path(__file__).resolve().parent.parent / "specs" / "ideogram-openapi.json"

# Values the full api.ideogram.ai spec lists but the public reference does not, or that the bot must never send.
HIDDEN_ENUM_VALUES: dict[str, frozenset[str]] = {
    "RenderingSpeed": frozenset({"BALANCED"}),  # launch-time name of DEFAULT
    "StyleTypeV3": frozenset({"CUSTOM", "STYLIZED"}),
    "StyleType": frozenset({"CUSTOM", "STYLIZED"}),
    # V_3 belongs to the /v1/ideogram-v3 routes; AUTO lets the server pick a model whose price we cannot know.
    "ModelEnum": frozenset({"V_3", "AUTO"}),
    "DescribeModelVersion": frozenset({"CUSTOM"}),
}
HIDDEN_FIELDS = frozenset({"custom_model_uri", "magic_prompt_version"})

REQUEST_SCHEMAS = (
    "GenerateImageRequest",
    "ImageRequest",
    "InitialImageRequest",
    "UpscaleInitialImageRequest",
    "RemixImageRequest",
    "UpscaleImageRequest",
    "EditImageRequest",
    "DescribeRequest",
    "GenerateImageRequestV3",
    "RemixImageRequestV3",
    "EditImageRequestV3",
    "ReframeImageRequestV3",
    "ReplaceBackgroundRequestV3",
    "ColorPaletteWithPresetName",
    "ColorPaletteWithMembers",
    "ColorPaletteMember",
)
RESPONSE_SCHEMAS = (
    "ImageGenerationResponseV3",
    "ImageGenerationObjectV3",
    "GenerateImageResponse",
    "ImageObject",
    "DescribeResponse",
    "Description",
    "GenerateImageSafetyError",
    "ImageSafetyError",
)

_DROPPED_KEYWORDS = frozenset({"example", "externalDocs", "xml", "discriminator", "readOnly", "writeOnly"})


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema draft 4."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value) for key, value in node.items() if key not in _DROPPED_KEYWORDS}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        out["$ref"] = "#/definitions/" + ref.removeprefix("#/components/schemas/")
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


@cache
def raw_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


@cache
def definitions() -> dict[str, Any]:
    """Every component schema as public, strict JSON Schema."""
    defs: dict[str, Any] = _convert(copy.deepcopy(raw_spec()["components"]["schemas"]))
    for name, hidden in HIDDEN_ENUM_VALUES.items():
        defs[name]["enum"] = [value for value in defs[name]["enum"] if value not in hidden]
    # InitialImageRequest is `allOf: [ImageRequest]` plus image_weight; flatten it so that
    # additionalProperties can apply to the merged field set.
    initial = defs["InitialImageRequest"]
    base = defs["ImageRequest"]
    initial["properties"] = {**base["properties"], **initial.get("properties", {})}
    initial["required"] = list(base["required"])
    initial["type"] = "object"
    del initial["allOf"]
    for name in REQUEST_SCHEMAS + RESPONSE_SCHEMAS:
        schema = defs[name]
        for field in HIDDEN_FIELDS:
            schema.get("properties", {}).pop(field, None)
        schema["additionalProperties"] = False
    return defs


@cache
def validator(schema_name: str) -> Draft4Validator:
    defs = definitions()
    return Draft4Validator({**defs[schema_name], "definitions": defs})


def first_error(schema_name: str, instance: Any, *, prefix: str = "") -> str | None:
    """The most relevant schema violation as one line (`field.path: message`), or None if valid."""
    error: ValidationError | None = best_match(validator(schema_name).iter_errors(instance))
    if error is None:
        return None
    path = ".".join(str(part) for part in (*([prefix] if prefix else []), *error.absolute_path))
    return f"{path}: {error.message}" if path else error.message


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s (to `#/definitions/...`) until a concrete schema."""
    while "$ref" in schema:
        schema = definitions()[schema["$ref"].removeprefix("#/definitions/")]
    return schema


def properties(schema_name: str) -> dict[str, dict[str, Any]]:
    return {name: resolve(prop) for name, prop in definitions()[schema_name]["properties"].items()}


def required(schema_name: str) -> tuple[str, ...]:
    return tuple(definitions()[schema_name].get("required", ()))


def enum(schema_name: str) -> tuple[str, ...]:
    return tuple(definitions()[schema_name]["enum"])


# --- the public value tables (tests parametrize over these) ----------------------------------------------------
V3_ASPECT_RATIOS = enum("AspectRatioV3")  # 15, "16x9"
LEGACY_ASPECT_RATIOS = enum("AspectRatio")  # 11, "ASPECT_16_9"
V3_RESOLUTIONS = enum("ResolutionV3")  # 69, "1280x800"
LEGACY_RESOLUTIONS = enum("Resolution")  # 78, "RESOLUTION_1280_800"
STYLE_PRESETS = enum("StylePresetV3")  # 62
RENDERING_SPEEDS = enum("RenderingSpeed")  # FLASH, TURBO, DEFAULT, QUALITY
V3_STYLE_TYPES = enum("StyleTypeV3")  # AUTO, GENERAL, REALISTIC, DESIGN, FICTION
LEGACY_STYLE_TYPES = enum("StyleType")  # AUTO, GENERAL, FICTION, REALISTIC, DESIGN, RENDER_3D, ANIME
LEGACY_MODELS = enum("ModelEnum")  # V_1, V_1_TURBO, V_2, V_2_TURBO, V_2A, V_2A_TURBO
MAGIC_PROMPT_OPTIONS = enum("MagicPromptOption")  # AUTO, ON, OFF
COLOR_PALETTE_PRESETS = enum("ColorPalettePresetName")  # 8
DESCRIBE_MODEL_VERSIONS = enum("DescribeModelVersion")  # V_2, V_3

ALL_HIDDEN_VALUES = {name: tuple(sorted(values)) for name, values in HIDDEN_ENUM_VALUES.items()}
