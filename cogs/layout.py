"""The actions under a result: what to click, laid out within Discord's limits (5 rows of 5 components).

Up to 4 images: one row per image (Upscale N, Vary N subtle, Vary N strong, Remix N, Edit N). More than 4: one
select per action whose options are the image numbers (no Edit there: a fifth select would leave no row for the
rest). Then one row for the whole result (Again, Info, Delete). A /describe result gets one Imagine button per
description instead of the per-image actions.

`custom_id`s are contract (DESIGN.md): `<action>:<job_id>[:<image_number>[:<variant>]]` for buttons,
`<action>:<job_id>[:<variant>]` for selects, with 1-based image numbers as the options' values. The handlers are
the persistent items in `cogs/results.py`; this module only draws them.
"""

from __future__ import annotations

from typing import Any, Final

import discord

from bot.jobs import JobSpec, Result

MAX_IMAGE_ROWS: Final = 4  # the fifth row is the whole result's
MAX_DESCRIPTION_BUTTONS: Final = 5
# Labels: whole sentences with named placeholders, for the translation pass.
UPSCALE_LABEL: Final = "Upscale {number}"
VARY_LABELS: Final = {"subtle": "Vary {number} (subtle)", "strong": "Vary {number} (strong)"}
REMIX_LABEL: Final = "Remix {number}"
EDIT_LABEL: Final = "Edit {number}"
IMAGINE_LABEL: Final = "Imagine {number}"
AGAIN_LABEL: Final = "Again"
INFO_LABEL: Final = "Info"
DELETE_LABEL: Final = "Delete"
IMAGE_OPTION_LABEL: Final = "Image {number}"
# One select per action when there are more than 4 images: its custom_id, and its placeholder.
IMAGE_SELECTS: Final = (
    ("upscale:{job}", "Upscale an image…"),
    ("vary:{job}:subtle", "Vary an image (subtle)…"),
    ("vary:{job}:strong", "Vary an image (strong)…"),
    ("remix:{job}", "Remix an image…"),
)


def can_run_again(spec: JobSpec) -> bool:
    """Again needs every input fetched again: a slash command's attachments can't be."""
    return spec.operation != "describe" and all(name in spec.inputs for name in spec.files)


def result_view(result: Result) -> discord.ui.View:
    """The actions under `result`; no view state is kept (clicks reach the persistent items by custom_id)."""
    view = discord.ui.View(timeout=None)
    job = result.job_id
    if result.descriptions:
        for number in range(1, min(len(result.descriptions), MAX_DESCRIPTION_BUTTONS) + 1):
            view.add_item(_button(IMAGINE_LABEL.format(number=number), f"imagine:{job}:{number}", 0, "💡"))
    elif len(result.files) <= MAX_IMAGE_ROWS:
        for number in range(1, len(result.files) + 1):
            _image_row(view, job, number)
    else:
        for row, (custom_id, placeholder) in enumerate(IMAGE_SELECTS):
            view.add_item(_image_select(custom_id.format(job=job), placeholder, len(result.files), row))
    last = MAX_IMAGE_ROWS
    if result.files and can_run_again(result.spec):
        view.add_item(_button(AGAIN_LABEL, f"again:{job}", last, "🎲"))
    view.add_item(_button(INFO_LABEL, f"info:{job}", last, "ℹ️"))
    view.add_item(_button(DELETE_LABEL, f"delete:{job}", last, "🗑️", style=discord.ButtonStyle.danger))
    view.stop()
    return view


def _image_row(view: discord.ui.View, job: int, number: int) -> None:
    row = number - 1
    view.add_item(_button(UPSCALE_LABEL.format(number=number), f"upscale:{job}:{number}", row, "🔍"))
    for variant, label in VARY_LABELS.items():
        view.add_item(_button(label.format(number=number), f"vary:{job}:{number}:{variant}", row, "🌀"))
    view.add_item(_button(REMIX_LABEL.format(number=number), f"remix:{job}:{number}", row, "🎨"))
    view.add_item(_button(EDIT_LABEL.format(number=number), f"edit:{job}:{number}", row, "✏️"))


def _button(
    label: str, custom_id: str, row: int, emoji: str, *, style: discord.ButtonStyle = discord.ButtonStyle.secondary
) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=label, custom_id=custom_id, row=row, emoji=emoji, style=style)


def _image_select(custom_id: str, placeholder: str, count: int, row: int) -> discord.ui.Select[Any]:
    options = [
        discord.SelectOption(label=IMAGE_OPTION_LABEL.format(number=n), value=str(n)) for n in range(1, count + 1)
    ]
    return discord.ui.Select(custom_id=custom_id, placeholder=placeholder, options=options, row=row)
