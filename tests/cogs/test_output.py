"""How a result looks: text the bot did not write is shown as typed."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs import JobSpec, Result
from bot.ledger import Balance
from cogs.output import render_result

BALANCE = Balance(
    remaining=900_000,
    spent=100_000,
    held=0,
    granted=0,
    allowance=1_000_000,
    allowance_source="config",
    period="month",
    period_start=datetime(2026, 1, 1, tzinfo=UTC),
    next_reset=datetime(2026, 2, 1, tzinfo=UTC),
)


def result(**fields: object) -> Result:
    spec = JobSpec(1, 2, 3, "describe", "describe", {})
    values: dict[str, object] = {
        "job_id": 7,
        "spec": spec,
        "model": None,
        "rendering_speed": None,
        "prompt": None,
        "seeds": (),
        "files": (),
        "withheld": 0,
        "cost": 10_000,
        "balance": BALANCE,
        "notes": (),
        **fields,
    }
    return Result(**values)  # type: ignore[arg-type]


def test_descriptions_are_inert() -> None:
    embed = render_result(result(descriptions=["A [link](https://evil.example) and <@&123456789012345678> __here__"]))
    assert (
        embed.description == r"A \[link](https://evil.example) and <@" + "\u200b" + r"&123456789012345678> \_\_here\_\_"
    )


def test_a_rewritten_prompt_is_inert() -> None:
    embed = render_result(result(prompt="# Big title\n> quoted ||spoiler|| @here"))
    assert embed.description == r"\# Big title" + "\n" + r"\> quoted \|\|spoiler\|\| @" + "\u200bhere"
