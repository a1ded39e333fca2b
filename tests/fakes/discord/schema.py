"""Validation of traffic against Discord's own OpenAPI description (``tests/fakes/specs/discord-openapi.json``).

The 1.2 MB spec is parsed once per process (:func:`load_spec`); validators are compiled lazily, one per
schema, and cached. References are resolved by :mod:`referencing` against the whole document.

Deliberate relaxations (request side only), each because real Discord accepts what the spec forbids:

* ``SnowflakeType`` also accepts a non-negative JSON integer. discord.py sends ``attachments[i].id`` as the
  integer file index (``File.to_dict``), and Discord coerces numeric snowflakes.
* ``ApplicationCommandUpdateRequest.default_member_permissions`` also accepts a string of digits: discord.py
  sends ``str(permissions.value)`` and Discord documents the field as a "string of permission bits".

``format`` keywords (``snowflake``, ``int32``, ``uri`` …) are not checked; snowflakes are still checked by the
spec's own ``pattern``. Nothing else is skipped. Two rewrites keep validation equivalent but fast (see
``_discriminate_unions``): unions of objects told apart by a required ``type`` become a lookup on ``type``, and
enums written as ``oneOf`` of ``const`` values become ``enum``. A typical message body then costs ~1 ms.
"""

from __future__ import annotations

import copy
import functools
import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parent.parent / "specs" / "discord-openapi.json"
_SPEC_URI = "urn:discord-openapi"

# jsonschema keyword -> Discord's error code in the ``errors`` tree of a 50035 "Invalid Form Body".
_DISCORD_ERROR_CODES = {
    "required": "BASE_TYPE_REQUIRED",
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "minItems": "BASE_TYPE_MIN_LENGTH",
    "enum": "BASE_TYPE_CHOICES",
    "const": "BASE_TYPE_CHOICES",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
    "type": "BASE_TYPE_BAD_TYPE",
}


@dataclass(frozen=True)
class SchemaError:
    """One validation failure: where (JSON path inside the body) and what."""

    path: tuple[str | int, ...]
    message: str
    code: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message}"


def _relax_for_requests(spec: dict[str, Any]) -> dict[str, Any]:
    relaxed = copy.deepcopy(spec)
    schemas = relaxed["components"]["schemas"]
    schemas["SnowflakeType"] = {
        "anyOf": [spec["components"]["schemas"]["SnowflakeType"], {"type": "integer", "minimum": 0}]
    }
    perms = schemas["ApplicationCommandUpdateRequest"]["properties"]["default_member_permissions"]
    schemas["ApplicationCommandUpdateRequest"]["properties"]["default_member_permissions"] = {
        "anyOf": [perms, {"type": "string", "pattern": "^[0-9]+$"}]
    }
    return relaxed


_DISCRIMINATOR = "x-fake-discriminator"


def _discriminate_unions(spec: dict[str, Any]) -> dict[str, Any]:
    """Replace unions of object schemas told apart by a required ``type`` with a lookup on that ``type``.

    Equivalent for validation (the branches' ``type`` values are disjoint and required, so at most one branch
    can match), but jsonschema no longer tries every branch: message components are a union of 7 types nested
    in a union of 7, which made one action row cost ~2.5 ms. Errors also name the branch the body chose, as
    Discord's do. Likewise enums spelled as a ``oneOf`` of titled ``const`` values become ``enum``.
    Modifies and returns ``spec``.
    """
    schemas = spec["components"]["schemas"]

    def discriminator(ref: str) -> list[Any] | None:
        target = schemas.get(ref.removeprefix("#/components/schemas/"), {})
        declared = target.get("properties", {}).get("type", {})
        values = declared.get("enum") or ([declared["const"]] if "const" in declared else None)
        return values if values and "type" in target.get("required", []) else None

    def rewrite(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                rewrite(item)
            return
        if not isinstance(node, dict):
            return
        for key in ("oneOf", "anyOf"):
            union = node.get(key)
            if not isinstance(union, list) or not union or not all(isinstance(b, dict) for b in union):
                continue
            if all(set(b) <= {"const", "title", "description", "type"} and "const" in b for b in union):
                # Enums are written as a oneOf of titled consts (MessageType, ButtonStyleTypes...): an enum.
                del node[key]
                node["enum"] = [b["const"] for b in union]
                continue
            if not all(set(b) == {"$ref"} for b in union):
                continue
            table: list[tuple[Any, str]] = []
            for branch in union:
                values = discriminator(branch["$ref"])
                if values is None or any(v == seen for v in values for seen, _ in table):
                    break
                table.extend((value, branch["$ref"]) for value in values)
            else:
                del node[key]
                node[_DISCRIMINATOR] = table
        for value in node.values():
            rewrite(value)

    rewrite(spec)
    return spec


def _discriminated(validator: Any, table: list[tuple[Any, str]], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        yield ValidationError(f"{instance!r} is not of type 'object'", validator="type", validator_value="object")
        return
    value = instance.get("type")
    ref = next((ref for choice, ref in table if choice == value and type(choice) is type(value)), None)
    if ref is None:
        yield from validator.descend(value, {"enum": [choice for choice, _ in table]}, path="type")
    else:
        yield from validator.descend(instance, {"$ref": ref})


_Validator = validators.extend(Draft202012Validator, {_DISCRIMINATOR: _discriminated})


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For a failed union (anyOf/oneOf), report the branch the body was evidently meant for.

    That is the branch whose errors lie deepest in the instance: a body with ``"type": 4`` fails the
    autocomplete branch at ``type`` but the message branch only at ``data.embeds.0.title``, and the latter is
    what Discord would report. (jsonschema's ``best_match`` prefers the shallowest error, the wrong one here.)
    """
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = [[leaf for sub in errs for leaf in _leaf_errors(sub)] for errs in branches.values()]
    return max(candidates, key=lambda leaves: (min(len(e.absolute_path) for e in leaves), -len(leaves)))


def _to_schema_error(error: ValidationError) -> SchemaError:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    message = error.message
    if error.validator == "required":
        # jsonschema reports a missing key at its parent; Discord reports it at the key itself.
        missing = message.split("'")[1] if "'" in message else ""
        path = (*path, missing)
        message = "This field is required"
    elif error.validator in ("maxLength", "maxItems"):
        message = f"Must be {error.validator_value} or fewer in length."
    elif error.validator in ("minLength", "minItems"):
        message = f"Must be {error.validator_value} or more in length."
    return SchemaError(
        path=path, message=message, code=_DISCORD_ERROR_CODES.get(str(error.validator), "BASE_TYPE_INVALID")
    )


class OpenApiSpec:
    """Request and response schemas of Discord's HTTP API, looked up by OpenAPI path template."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec
        self._paths: dict[str, Any] = spec["paths"]
        self._registries = {
            "response": Registry().with_resource(
                _SPEC_URI, Resource(_discriminate_unions(copy.deepcopy(spec)), specification=DRAFT202012)
            ),
            "request": Registry().with_resource(
                _SPEC_URI, Resource(_discriminate_unions(_relax_for_requests(spec)), specification=DRAFT202012)
            ),
        }
        self._validators: dict[tuple[str, str], Any] = {}
        # A bot syncs the same command tree on every start (~100 ms to validate): remember recent verdicts.
        self._request_verdicts: OrderedDict[tuple[str, str], list[SchemaError]] = OrderedDict()

    def component(self, name: str) -> dict[str, Any]:
        """A schema under ``components/schemas`` (e.g. ``AvailableLocalesEnum``), as the spec writes it."""
        schema: dict[str, Any] = self._spec["components"]["schemas"][name]
        return schema

    def _validator(self, side: str, pointer: str) -> Any:
        key = (side, pointer)
        validator = self._validators.get(key)
        if validator is None:
            validator = _Validator({"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registries[side])
            self._validators[key] = validator
        return validator

    def has_operation(self, method: str, path_template: str) -> bool:
        return method.lower() in self._paths.get(path_template, {})

    def _operation(self, method: str, path_template: str) -> dict[str, Any]:
        try:
            return self._paths[path_template][method.lower()]
        except KeyError:
            raise KeyError(f"{method} {path_template} is not in Discord's OpenAPI spec") from None

    def validate_request(self, method: str, path_template: str, body: Any) -> list[SchemaError]:
        """Validate a JSON request body (or a multipart ``payload_json``) for this operation."""
        operation = self._operation(method, path_template)
        if "requestBody" not in operation:
            return []
        escaped = path_template.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method.lower()}/requestBody/content/application~1json/schema"
        key = (pointer, json.dumps(body, sort_keys=True))
        verdict = self._request_verdicts.get(key)
        if verdict is None:
            verdict = self._errors(self._validator("request", pointer), body)
            self._request_verdicts[key] = verdict
            if len(self._request_verdicts) > 512:
                self._request_verdicts.popitem(last=False)
        return list(verdict)

    def validate_response(self, method: str, path_template: str, body: Any, status: int = 200) -> list[SchemaError]:
        """Validate the fake's own response body against the documented response for ``status``."""
        operation = self._operation(method, path_template)
        response = operation.get("responses", {}).get(str(status))
        if response is None or "content" not in response:
            return []
        escaped = path_template.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method.lower()}/responses/{status}/content/application~1json/schema"
        return self._errors(self._validator("response", pointer), body)

    def validate_component(self, name: str, instance: Any) -> list[SchemaError]:
        """Validate against ``#/components/schemas/<name>`` (response side), e.g. ``MessageResponse``."""
        if name not in self._spec["components"]["schemas"]:
            raise KeyError(f"no schema named {name!r}")
        return self._errors(self._validator("response", f"/components/schemas/{name}"), instance)

    @staticmethod
    def _errors(validator: Any, instance: Any) -> list[SchemaError]:
        found = [_to_schema_error(leaf) for error in validator.iter_errors(instance) for leaf in _leaf_errors(error)]
        return sorted(set(found), key=lambda e: (tuple(str(p) for p in e.path), e.message))


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> OpenApiSpec:
    """The parsed spec, shared by every fake in the process."""
    return OpenApiSpec(json.loads(path.read_text(encoding="utf-8")))


def discord_error_tree(errors: list[SchemaError]) -> dict[str, Any]:
    """Discord's nested ``errors`` object: ``{"content": {"_errors": [{"code", "message"}]}}``."""
    tree: dict[str, Any] = {}
    for error in errors:
        node = tree
        for part in error.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
    return tree
