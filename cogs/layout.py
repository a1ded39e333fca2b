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

import functools
from typing import Any, Final

import discord

from bot.i18n import Message, _
from bot.jobs import JobSpec, Result

# The actions of DESIGN.md's `custom_id`s, as regular-expression alternatives: per image (buttons), per select,
# and for the whole result. The persistent items (`cogs/results.py`) and the look-ups of `cogs/clicked.py` use them.
IMAGE_ACTIONS: Final = "upscale|vary|remix|edit|imagine"
SELECT_ACTIONS: Final = "upscale|vary|remix"
RESULT_ACTIONS: Final = "again|info|delete"
MAX_IMAGE_ROWS: Final = 4  # the fifth row is the whole result's
MAX_DESCRIPTION_BUTTONS: Final = 5
# Labels, rendered in the server's language; per-image ones take `number` (`with_params`).
UPSCALE_LABEL: Final = _("Upscale {number}")
VARY_LABELS: Final = {"subtle": _("Vary {number} (subtle)"), "strong": _("Vary {number} (strong)")}
REMIX_LABEL: Final = _("Remix {number}")
EDIT_LABEL: Final = _("Edit {number}")
IMAGINE_LABEL: Final = _("Imagine {number}")
AGAIN_LABEL: Final = _("Again")
INFO_LABEL: Final = _("Info")
DELETE_LABEL: Final = _("Delete")
IMAGE_OPTION_LABEL: Final = _("Image {number}")
# One select per action when there are more than 4 images: its custom_id, and its placeholder.
IMAGE_SELECTS: Final = (
    ("upscale:{job}", _("Upscale an image…")),
    ("vary:{job}:subtle", _("Vary an image (subtle)…")),
    ("vary:{job}:strong", _("Vary an image (strong)…")),
    ("remix:{job}", _("Remix an image…")),
)


def numbered(label: Message, number: int) -> Message:
    return label.with_params(number=number)


@functools.lru_cache(maxsize=1024)
def _rendered(label: Message, number: int | None, locale: object | None) -> str:
    """A button's label as shown: the same few labels under every result, rendered once per language."""
    return (label if number is None else numbered(label, number)).render(locale)


def can_run_again(spec: JobSpec) -> bool:
    """Again needs every input fetched again: a slash command's attachments can't be."""
    return spec.operation != "describe" and all(name in spec.inputs for name in spec.files)


def result_view(result: Result, locale: object | None = None) -> discord.ui.View:
    """The actions under `result`, labelled in `locale` (the server's language; English when None). No view state
    is kept: clicks reach the persistent items by custom_id."""
    return actions_view(
        result.job_id,
        images=len(result.files),
        descriptions=len(result.descriptions),
        again=bool(result.files) and can_run_again(result.spec),
        locale=locale,
    )


def actions_view(
    job: int, *, images: int, descriptions: int, again: bool, locale: object | None = None
) -> discord.ui.View:
    """The actions under job `job`'s result with `images` posted images (or `descriptions`, for /describe); `again`:
    whether it can be made again. Also drawn under `/job` for a result that still exists."""
    view = discord.ui.View(timeout=None)

    def button(
        label: Message, custom_id: str, row: int, emoji: str, *, number: int | None = None, danger: bool = False
    ) -> None:
        style = discord.ButtonStyle.danger if danger else discord.ButtonStyle.secondary
        shown = _rendered(label, number, locale)
        view.add_item(discord.ui.Button(label=shown, custom_id=custom_id, row=row, emoji=emoji, style=style))

    if descriptions:
        for number in range(1, min(descriptions, MAX_DESCRIPTION_BUTTONS) + 1):
            button(IMAGINE_LABEL, f"imagine:{job}:{number}", 0, "💡", number=number)
    elif images <= MAX_IMAGE_ROWS:
        for number in range(1, images + 1):
            row = number - 1
            button(UPSCALE_LABEL, f"upscale:{job}:{number}", row, "🔍", number=number)
            for variant, label in VARY_LABELS.items():
                button(label, f"vary:{job}:{number}:{variant}", row, "🌀", number=number)
            button(REMIX_LABEL, f"remix:{job}:{number}", row, "🎨", number=number)
            button(EDIT_LABEL, f"edit:{job}:{number}", row, "✏️", number=number)
    else:
        numbers = [
            discord.SelectOption(label=_rendered(IMAGE_OPTION_LABEL, n, locale), value=str(n))
            for n in range(1, images + 1)
        ]
        for row, (custom_id, placeholder) in enumerate(IMAGE_SELECTS):
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=custom_id.format(job=job),
                placeholder=_rendered(placeholder, None, locale),
                options=numbers,
                row=row,
            )
            view.add_item(select)
    last = MAX_IMAGE_ROWS
    if again:
        button(AGAIN_LABEL, f"again:{job}", last, "🎲")
    button(INFO_LABEL, f"info:{job}", last, "ℹ️")
    button(DELETE_LABEL, f"delete:{job}", last, "🗑️", danger=True)
    view.stop()
    return view
