"""Strict request validation, route by route: body shape, then the OpenAPI schema, then the rules the schema
only states in prose (exclusive fields, per-model restrictions), then the uploaded files.

Every rejection raises `Invalid(message)`; the server answers 400 `{"error": message}`, as Ideogram does.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError

from . import spec
from .recording import RecordedRequest, UploadedFile

V3_PREFIX = "/ideogram/v1/ideogram-v3/"
LEGACY_PREFIX = "/ideogram/"


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Route:
    path: str
    operation: str  # as in docs/CONTRACTS.md
    family: Literal["v3", "legacy"]
    body: Literal["json", "multipart"]
    request_schema: str
    response_schema: str
    image_field: str | None  # the main input image's part name


def _v3(name: str, operation: str, schema: str, image_field: str | None = "image") -> Route:
    return Route(V3_PREFIX + name, operation, "v3", "multipart", schema, "ImageGenerationResponseV3", image_field)


def _legacy(
    name: str, body: Literal["json", "multipart"], schema: str, response: str = "GenerateImageResponse"
) -> Route:
    image_field = None if body == "json" else "image_file"
    return Route(LEGACY_PREFIX + name, name, "legacy", body, schema, response, image_field)


ROUTES: dict[str, Route] = {
    route.path: route
    for route in (
        _v3("generate", "generate", "GenerateImageRequestV3", image_field=None),
        _v3("remix", "remix", "RemixImageRequestV3"),
        _v3("edit", "edit", "EditImageRequestV3"),
        _v3("reframe", "reframe", "ReframeImageRequestV3"),
        _v3("replace-background", "replace_background", "ReplaceBackgroundRequestV3"),
        _legacy("generate", "json", "GenerateImageRequest"),
        _legacy("edit", "multipart", "EditImageRequest"),
        _legacy("remix", "multipart", "RemixImageRequest"),
        _legacy("upscale", "multipart", "UpscaleImageRequest"),
        _legacy("describe", "multipart", "DescribeRequest", response="DescribeResponse"),
    )
}

# Models per the prose of the spec's ImageRequest / StyleType / Resolution / ColorPalette descriptions.
NEGATIVE_PROMPT_MODELS = frozenset({"V_1", "V_1_TURBO", "V_2", "V_2_TURBO"})
NO_STYLE_TYPE_MODELS = frozenset({"V_1", "V_1_TURBO"})
RESOLUTION_MODELS = frozenset({"V_2", "V_2_TURBO"})
NO_COLOR_PALETTE_MODELS = frozenset({"V_1", "V_1_TURBO", "V_2A", "V_2A_TURBO"})
EDIT_MODELS = frozenset({"V_2", "V_2_TURBO"})
DEFAULT_LEGACY_MODEL = "V_2"  # ModelEnum's default

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_FILE_PLACEHOLDER = "<file>"


@dataclass(frozen=True)
class Job:
    """A request that passed validation, reduced to what the reply needs."""

    route: Route
    params: dict[str, Any]  # typed values: the flat fields, or the legacy image_request
    num_images: int
    image_size: tuple[int, int] | None  # (width, height) of the main input image

    @property
    def model(self) -> str | None:
        if self.route.family == "v3":
            return "V_3"
        if self.route.operation in ("upscale", "describe"):
            return None
        return str(self.params.get("model", DEFAULT_LEGACY_MODEL))

    @property
    def magic_prompt(self) -> str:
        """AUTO when not given (AiHubMix's documented default)."""
        return str(self.params.get("magic_prompt") or self.params.get("magic_prompt_option") or "AUTO")


def validate(route: Route, recorded: RecordedRequest, *, max_file_bytes: int) -> Job:
    instance = _json_instance(recorded) if route.body == "json" else _multipart_instance(route, recorded)
    request = instance.get("image_request")
    params: dict[str, Any] = request if isinstance(request, dict) else instance
    prefix = "image_request." if params is not instance else ""
    _check_color_palette_shape(params.get("color_palette"), prefix)
    error = spec.first_error(route.request_schema, instance)
    if error is not None:
        raise Invalid(error)
    _check_strings(params, prefix)
    if route.family == "v3":
        _check_v3_rules(params, recorded)
    else:
        _check_legacy_rules(route, params)
    image_size = _check_files(route, recorded, max_file_bytes)
    num_images = 1 if route.operation == "describe" else int(params.get("num_images", 1))
    return Job(route=route, params=params, num_images=num_images, image_size=image_size)


# --- body shape ------------------------------------------------------------------------------------------------


def _json_instance(recorded: RecordedRequest) -> dict[str, Any]:
    if recorded.content_type != "application/json":
        raise Invalid(f"Content-Type must be application/json, got {recorded.content_type or 'none'!r}")
    if recorded.body_error:
        raise Invalid(recorded.body_error)
    if not isinstance(recorded.json, dict):
        raise Invalid('the body must be a JSON object {"image_request": {...}}')
    for key in recorded.json:
        if key != "image_request":
            raise Invalid(f"unknown field '{key}'")
    request = recorded.json.get("image_request")
    if isinstance(request, dict):
        _check_unknown(request, "ImageRequest", "image_request.")
    return recorded.json


def _multipart_instance(route: Route, recorded: RecordedRequest) -> dict[str, Any]:
    if recorded.content_type != "multipart/form-data":
        raise Invalid(f"Content-Type must be multipart/form-data, got {recorded.content_type or 'none'!r}")
    if recorded.body_error:
        raise Invalid(recorded.body_error)
    props = spec.properties(route.request_schema)
    for name in (*recorded.fields, *recorded.files):
        if name not in props:
            raise Invalid(f"unknown field {name!r}")
    instance: dict[str, Any] = {}
    for name, prop in props.items():
        kind = _kind(prop)
        texts, files = recorded.fields.get(name), recorded.files.get(name)
        if kind in ("file", "files"):
            if texts is not None:
                raise Invalid(f"{name} must be a file part (with a filename), not a text field")
            if files is None:
                continue
            if kind == "file" and len(files) > 1:
                raise Invalid(f"{name} was given more than once")
            instance[name] = _FILE_PLACEHOLDER if kind == "file" else [_FILE_PLACEHOLDER] * len(files)
            continue
        if files is not None:
            raise Invalid(f"{name} must be a text field, not a file part")
        if texts is None:
            continue
        if kind == "text_list":
            instance[name] = texts
            continue
        if len(texts) > 1:
            raise Invalid(f"{name} was given more than once")
        instance[name] = _from_text(name, kind, texts[0], prop)
    return instance


def _kind(prop: dict[str, Any]) -> str:
    if prop.get("format") == "binary":
        return "file"
    if prop.get("type") == "array":
        return "files" if spec.resolve(prop["items"]).get("format") == "binary" else "text_list"
    if prop.get("type") in ("integer", "number"):
        return str(prop["type"])
    if prop.get("type") == "object" or "oneOf" in prop:
        return "json"
    return "text"


def _from_text(name: str, kind: str, text: str, prop: dict[str, Any]) -> Any:
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            raise Invalid(f"{name} must be an integer, got {text!r}")
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise Invalid(f"{name} must be a number, got {text!r}") from None
    if kind == "json":
        try:
            value = json.loads(text)
        except ValueError:
            raise Invalid(f"{name} must be a JSON object sent as a text part, got {text[:80]!r}") from None
        if not isinstance(value, dict):
            raise Invalid(f"{name} must be a JSON object, got {type(value).__name__}")
        if prop.get("type") == "object":
            _check_unknown(value, None, f"{name}.", prop)
        return value
    return text


def _check_unknown(obj: dict[str, Any], schema_name: str | None, prefix: str, schema: Any = None) -> None:
    allowed = spec.definitions()[schema_name]["properties"] if schema_name else schema["properties"]
    for key in obj:
        if key not in allowed:
            raise Invalid(f"unknown field '{prefix}{key}'")


def _check_strings(params: dict[str, Any], prefix: str) -> None:
    for key, value in params.items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and not item.strip() for item in values):
            raise Invalid(f"{prefix}{key} must not be empty (leave the field out instead)")


def _check_color_palette_shape(palette: Any, prefix: str) -> None:
    if not isinstance(palette, dict):
        return  # absent, or a type error the schema reports
    keys = set(palette)
    if keys - {"name", "members"}:
        raise Invalid(f"{prefix}color_palette: unknown keys {sorted(keys - {'name', 'members'})}")
    if len(keys) != 1:
        raise Invalid(f"{prefix}color_palette must have exactly one of 'name' or 'members'")
    members = palette.get("members")
    if isinstance(members, list):
        for index, member in enumerate(members):
            if isinstance(member, dict) and set(member) - {"color_hex", "color_weight"}:
                extra = sorted(set(member) - {"color_hex", "color_weight"})
                raise Invalid(f"{prefix}color_palette.members.{index}: unknown keys {extra}")


# --- rules stated in prose -------------------------------------------------------------------------------------


def _check_v3_rules(params: dict[str, Any], recorded: RecordedRequest) -> None:
    if "resolution" in params and "aspect_ratio" in params:
        raise Invalid("resolution cannot be used in conjunction with aspect_ratio")
    if "style_codes" in params and ("style_type" in params or "style_reference_images" in params):
        raise Invalid("style_codes cannot be used in conjunction with style_reference_images or style_type")
    characters = len(recorded.files.get("character_reference_images", []))
    if characters > 1:
        raise Invalid("character_reference_images: currently only 1 character reference image is supported")
    masks = len(recorded.files.get("character_reference_images_mask", []))
    if masks and masks != characters:
        raise Invalid(
            f"character_reference_images_mask: {masks} mask(s) given for {characters} character reference image(s); "
            "the counts must match"
        )


def _check_legacy_rules(route: Route, params: dict[str, Any]) -> None:
    if route.operation == "edit" and params["model"] not in EDIT_MODELS:
        raise Invalid(f"model {params['model']} is not supported for edit; only V_2 and V_2_TURBO are")
    if route.operation not in ("generate", "remix"):
        return
    prefix = "image_request."
    model = params.get("model", DEFAULT_LEGACY_MODEL)
    if "resolution" in params and "aspect_ratio" in params:
        raise Invalid(f"{prefix}resolution cannot be used in conjunction with aspect_ratio")
    if "resolution" in params and model not in RESOLUTION_MODELS:
        raise Invalid(f"{prefix}resolution is only available for V_2 and V_2_TURBO, not {model}")
    if "negative_prompt" in params and model not in NEGATIVE_PROMPT_MODELS:
        raise Invalid(f"{prefix}negative_prompt is only available for V_1, V_1_TURBO, V_2 and V_2_TURBO, not {model}")
    if "style_type" in params and model in NO_STYLE_TYPE_MODELS:
        raise Invalid(f"{prefix}style_type should not be specified for {model}")
    if "color_palette" in params and model in NO_COLOR_PALETTE_MODELS:
        raise Invalid(f"{prefix}color_palette is not supported by {model}")


# --- files -----------------------------------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


def sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)


def _open(name: str, upload: UploadedFile, max_file_bytes: int) -> Image.Image:
    if len(upload.data) > max_file_bytes:
        raise Invalid(f"{name} is {len(upload.data)} bytes; the maximum file size is {max_file_bytes} bytes")
    fmt = sniff(upload.data)
    if fmt == "GIF":
        raise Invalid(f"{name}: GIF images are not supported; only JPEG, WebP and PNG formats are supported")
    if fmt is None:
        raise Invalid(f"{name} is not an image; only JPEG, WebP and PNG formats are supported")
    try:
        image = Image.open(io.BytesIO(upload.data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid(f"{name}: the {fmt} image could not be decoded ({exc})") from None
    return image


def _check_files(route: Route, recorded: RecordedRequest, max_file_bytes: int) -> tuple[int, int] | None:
    images = {
        name: [_open(name, upload, max_file_bytes) for upload in uploads] for name, uploads in recorded.files.items()
    }
    for group in ("style_reference_images", "character_reference_images"):
        total = sum(len(upload.data) for upload in recorded.files.get(group, []))
        if total > max_file_bytes:
            raise Invalid(f"{group}: {total} bytes in total; the maximum total size is {max_file_bytes} bytes")
    for ref, ref_mask in zip(
        images.get("character_reference_images", []), images.get("character_reference_images_mask", []), strict=False
    ):
        if ref.size != ref_mask.size:
            raise Invalid("character_reference_images_mask must have the same size as its character reference image")
    if route.image_field is None:
        return None
    image = images[route.image_field][0]
    if "mask" in images:
        mask = images["mask"][0]
        if mask.size != image.size:
            raise Invalid(
                f"mask must be the same size as the image being edited "
                f"(image {image.width}x{image.height}, mask {mask.width}x{mask.height})"
            )
        if mask.convert("L").getextrema() == (255, 255):
            raise Invalid("mask is entirely white, so nothing would be edited (black marks the region to edit)")
    return image.size
