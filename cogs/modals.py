"""The forms a click opens: Remix (prompt, image weight, rendering speed) and Edit (prompt and a mask upload).

A form holds only what its submission needs (a callback that starts the job); if the bot restarts before it is
submitted, the member clicks again. Text inputs' `custom_id`s are contract: `prompt` and `image_weight`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import discord

from bot.errors import UserFacingError
from bot.i18n import Message, _
from bot.ideogram.values import RENDERING_SPEEDS
from cogs.feedback import refuse_unserved, report_error

NOT_A_WEIGHT: Final = _("The image weight must be a whole number from 1 to 100, such as 50.")
MODAL_TIMEOUT_S: Final = 900.0
# Labels, in the language of the member who opened the form.
PROMPT_LABEL: Final = _("Prompt")
WEIGHT_LABEL: Final = _("Image weight (1-100)")
WEIGHT_HINT: Final = _("Higher keeps more of the image; lower lets the prompt take over.")
SPEED_LABEL: Final = _("Rendering speed (optional)")
MASK_LABEL: Final = _("Mask")
MASK_HINT: Final = _("Black where the image should change, white where it stays.")

RunRemix = Callable[[discord.Interaction[Any], str, int | None, str | None], Awaitable[None]]
RunEdit = Callable[[discord.Interaction[Any], str, discord.Attachment], Awaitable[None]]


class _Form(discord.ui.Modal):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await refuse_unserved(interaction)


def _prompt(default: str) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id="prompt", style=discord.TextStyle.paragraph, default=default[:4000] or None, max_length=4000
    )


class RemixModal(_Form):
    """Remix: the prompt (prefilled), the image weight, and optionally a rendering speed. `run` starts the job."""

    def __init__(self, title: Message, prompt: str, image_weight: int, run: RunRemix, locale: object | None) -> None:
        super().__init__(title=title.render(locale)[:45], custom_id="remix-modal", timeout=MODAL_TIMEOUT_S)
        self._run = run
        self.prompt = _prompt(prompt)
        self.image_weight: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="image_weight", default=str(image_weight), required=False, max_length=3
        )
        self.rendering_speed: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="rendering_speed",
            required=False,
            min_values=0,
            options=[discord.SelectOption(label=speed, value=speed) for speed in RENDERING_SPEEDS],  # the API's codes
        )
        self.add_item(discord.ui.Label(text=PROMPT_LABEL.render(locale), component=self.prompt))
        self.add_item(
            discord.ui.Label(
                text=WEIGHT_LABEL.render(locale), description=WEIGHT_HINT.render(locale), component=self.image_weight
            )
        )
        self.add_item(discord.ui.Label(text=SPEED_LABEL.render(locale), component=self.rendering_speed))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        try:
            weight_text = self.image_weight.value.strip()
            if weight_text and not (weight_text.isdigit() and 1 <= int(weight_text) <= 100):
                raise UserFacingError(NOT_A_WEIGHT)
            speed = self.rendering_speed.values[0] if self.rendering_speed.values else None
            await self._run(interaction, self.prompt.value, int(weight_text) if weight_text else None, speed)
        except Exception as error:  # modals bypass the command tree: the same error path, called by hand
            # not translated: a log line's context
            await report_error(interaction, error, charged=0, context=f"{self.custom_id} by {interaction.user.id}")


class EditModal(_Form):
    """Edit: the prompt (prefilled) and a mask to upload. `run` starts the job."""

    def __init__(self, title: Message, prompt: str, run: RunEdit, locale: object | None) -> None:
        super().__init__(title=title.render(locale)[:45], custom_id="edit-modal", timeout=MODAL_TIMEOUT_S)
        self._run = run
        self.prompt = _prompt(prompt)
        self.mask: discord.ui.FileUpload[Any] = discord.ui.FileUpload(custom_id="mask", min_values=1, max_values=1)
        self.add_item(discord.ui.Label(text=PROMPT_LABEL.render(locale), component=self.prompt))
        self.add_item(
            discord.ui.Label(text=MASK_LABEL.render(locale), description=MASK_HINT.render(locale), component=self.mask)
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        try:
            (mask,) = self.mask.values
            await self._run(interaction, self.prompt.value, mask)
        except Exception as error:
            # not translated: a log line's context
            await report_error(interaction, error, charged=0, context=f"{self.custom_id} by {interaction.user.id}")
