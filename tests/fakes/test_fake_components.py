"""The fake Discord's component layout rules (`rest_components.py`): what Discord refuses and the schema can't say."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.discord.rest_components import FLAG_COMPONENTS_V2, check_components
from tests.fakes.discord.rest_wire import DiscordError


def button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": custom_id, "custom_id": custom_id}


def select(custom_id: str) -> dict[str, Any]:
    return {"type": 3, "custom_id": custom_id, "options": [{"label": "1", "value": "1"}]}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def rows(count: int, width: int = 5) -> list[dict[str, Any]]:
    return [row(*(button(f"b{r}.{c}") for c in range(width))) for r in range(count)]


ACCEPTED = [
    pytest.param({"components": rows(5)}, id="5 rows of 5 buttons"),
    pytest.param({"components": [row(select("s1")), row(select("s2")), *rows(3)]}, id="selects alone in rows"),
    pytest.param(
        {"flags": FLAG_COMPONENTS_V2, "components": [{"type": 10, "content": "hi"}, *rows(5)]}, id="v2 under 40"
    ),
    pytest.param({"content": "no components"}, id="none"),
]
REFUSED = [
    pytest.param({"components": rows(6)}, "BASE_TYPE_MAX_LENGTH", id="6 rows"),
    pytest.param(
        {"components": [row(select("s"), button("b"))]}, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", id="select+button"
    ),
    pytest.param({"components": [row(select("s"), select("t"))]}, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", id="two selects"),
    pytest.param({"components": [row(button("x")), row(button("x"))]}, "COMPONENT_CUSTOM_ID_DUPLICATED", id="dup id"),
    pytest.param({"components": [{"type": 10, "content": "text"}]}, "UNION_TYPE_CHOICES", id="v2 part without flag"),
    pytest.param(
        {"flags": FLAG_COMPONENTS_V2, "content": "hi", "components": [{"type": 10, "content": "x"}]},
        "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
        id="v2 with content",
    ),
    pytest.param({"flags": FLAG_COMPONENTS_V2, "components": rows(7)}, "BASE_TYPE_MAX_LENGTH", id="v2 over 40"),
]


@pytest.mark.parametrize("payload", ACCEPTED)
def test_layouts_discord_accepts_pass(payload: dict[str, Any]) -> None:
    check_components(payload)


@pytest.mark.parametrize(("payload", "code"), REFUSED)
def test_layouts_discord_refuses_get_its_error(payload: dict[str, Any], code: str) -> None:
    with pytest.raises(DiscordError) as refused:
        check_components(payload, ("data",))
    assert refused.value.status == 400
    assert refused.value.code == 50035
    assert refused.value.kind == "components_layout"
    assert code in str(refused.value.errors)
