"""Discord's layout rules for message components, beyond what the OpenAPI schema can say.

Classic messages (no IS_COMPONENTS_V2 flag): at most 5 top-level components, all action rows; a row holds 1-5
buttons or exactly one select. Components V2 messages: no `content` or `embeds`, at most 40 components counted
through every level, action rows inside follow the same row rule. Every `custom_id` in a message is unique.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .rest_wire import invalid_form_body

FLAG_COMPONENTS_V2 = 1 << 15
MAX_CLASSIC_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_V2_COMPONENTS = 40
ACTION_ROW = 1
BUTTON = 2
SELECTS = frozenset({3, 5, 6, 7, 8})


def check_components(payload: dict[str, Any], at: tuple[str, ...] = ()) -> None:
    components = payload.get("components")
    if not components:
        return
    v2 = bool((payload.get("flags") or 0) & FLAG_COMPONENTS_V2)
    path = (*at, "components")
    if v2:
        if payload.get("content") or payload.get("embeds"):
            raise _refuse(
                (*at, "content"),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
        total = sum(1 for _ in _walk(components))
        if total > MAX_V2_COMPONENTS:
            raise _refuse(path, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_V2_COMPONENTS} or fewer in length.")
    else:
        if len(components) > MAX_CLASSIC_ROWS:
            raise _refuse(path, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CLASSIC_ROWS} or fewer in length.")
        for index, component in enumerate(components):
            if component.get("type") != ACTION_ROW:
                raise _refuse(
                    (*path, index, "type"),
                    "UNION_TYPE_CHOICES",
                    'Value of field "type" must be one of (1,) without IS_COMPONENTS_V2.',
                )
    for index, component in enumerate(components):
        _check_rows(component, (*path, index))
    seen: set[str] = set()
    for component in _walk(components):
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if custom_id in seen:
            raise _refuse(path, "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
        seen.add(custom_id)


def _refuse(path: tuple[str | int, ...], code: str, message: str) -> Exception:
    return invalid_form_body(path, code, message, kind="components_layout")


def _check_rows(component: dict[str, Any], path: tuple[str | int, ...]) -> None:
    children = component.get("components") or []
    if component.get("type") == ACTION_ROW:
        kinds = [child.get("type") for child in children]
        selects = sum(1 for kind in kinds if kind in SELECTS)
        if (selects and len(kinds) > 1) or len(kinds) > MAX_ROW_BUTTONS:
            raise _refuse(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        return
    for index, child in enumerate(children):
        _check_rows(child, (*path, "components", index))


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from _walk([component[key]])
