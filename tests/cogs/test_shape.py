"""The cogs stay small enough to read in one go, and a Discord attachment becomes a job input in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COGS = Path(__file__).resolve().parents[2] / "cogs"
MAX_LINES = 300  # the codebase's guideline for a file


@pytest.mark.parametrize("path", sorted(COGS.glob("*.py")), ids=lambda path: path.name)
def test_each_cog_module_is_at_most_300_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_job_inputs_are_built_only_in_cogs_sources() -> None:
    building = sorted(
        path.name
        for path in COGS.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "InputFile"
    )
    assert building == ["sources.py"]
