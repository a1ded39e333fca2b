"""Clicks under a result: persistent items (registered at start, found by `custom_id`) that turn a click into a
derived job (`bot.jobs.derive`), charged to whoever clicked, posted as a reply to the result.

Nothing is kept per message: the `custom_id` names the action, job and image (`cogs/layout.py` draws them), the
job lives in the database, and the images are taken from the message as it is now.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any, Final, Self, cast

import discord
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import Message, _
from bot.jobs import ImageSource, JobSpec, derive
from bot.jobs.repeats import Attempt, RepeatGuard
from bot.jobs.runner import JobEnd
from bot.ledger import JobResult
from cogs.click_output import ClickOutput
from cogs.clicked import input_image, known_job, shown_message, shown_result
from cogs.feedback import refuse_unserved, report_error
from cogs.layout import (
    AGAIN_LABEL,
    EDIT_LABEL,
    IMAGE_ACTIONS,
    IMAGINE_LABEL,
    REMIX_LABEL,
    RESULT_ACTIONS,
    SELECT_ACTIONS,
    UPSCALE_LABEL,
    VARY_LABELS,
    numbered,
)
from cogs.modals import EditModal, RemixModal
from cogs.result_info import info_embed
from cogs.sources import fetch_message, input_file, requester

_FORMS: Final = frozenset({"remix", "edit"})  # they open a form: a second click just opens it again
ALREADY_STARTED: Final = _("You clicked that a moment ago: one job is already on its way.")
NOT_YOURS: Final = _("Only the member who made this result, or a moderator, can delete it.")


def _bot(interaction: discord.Interaction[Any]) -> IdeogramBot:
    return cast(IdeogramBot, interaction.client)


async def _submit(
    interaction: discord.Interaction[Any], spec: JobSpec, source: discord.Message, action: Message, emoji: str
) -> JobEnd:
    return await _bot(interaction).jobs.submit(spec, ClickOutput(interaction, source, action, emoji))


async def _acknowledge(interaction: discord.Interaction[Any]) -> None:
    """A click that starts a job is acknowledged at once, before any look-up: a deferred update shows nothing, so
    a refusal after it is still private (a follow-up only the clicker sees) and nothing is held before the checks."""
    await interaction.response.defer()


@contextlib.asynccontextmanager
async def _once(interaction: discord.Interaction[Any], key: str) -> AsyncIterator[Attempt | None]:
    """The first click on `key` by this member within the repeat window: yields an `Attempt` (None for a repeat,
    which starts nothing); see `RepeatGuard.attempt`."""
    cog = _bot(interaction).get_cog(Results.__cog_name__)
    if not isinstance(cog, Results):
        yield Attempt()
        return
    with cog.repeats.attempt((interaction.user.id, key)) as attempt:
        yield attempt


async def run_image_action(
    interaction: discord.Interaction[Any], action: str, job_id: int, number: int, variant: str | None
) -> None:
    """Upscale N, Vary N subtle/strong, Remix N (opens the modal) and Imagine N: the click's whole handling."""
    if action in _FORMS:  # a second click just opens the form again
        await _image_action(interaction, action, job_id, number, variant)
        return
    async with _once(interaction, f"{action}:{job_id}:{number}:{variant}") as attempt:
        if attempt is None:
            await interaction.response.send_message(ALREADY_STARTED.render(interaction.locale), ephemeral=True)
            return
        attempt.end = await _image_action(interaction, action, job_id, number, variant)


async def _image_action(
    interaction: discord.Interaction[Any], action: str, job_id: int, number: int, variant: str | None
) -> JobEnd | None:
    """Returns how the job it started ended (None: it started none)."""
    try:
        if action not in _FORMS:
            await _acknowledge(interaction)
        who = requester(interaction)
        if action == "imagine":
            job = await known_job(interaction, job_id)
            descriptions = await derive.descriptions_of(_bot(interaction).ledger, job_id)
            spec = derive.imagine(job, descriptions, number, who)
            shown = await shown_message(interaction, job_id)
            return await _submit(interaction, spec, shown, numbered(IMAGINE_LABEL, number), "💡")
        result = await shown_result(interaction, job_id)
        source = derive.result_image(result, number)
        if action == "remix":
            weight = _bot(interaction).settings.budget.remix_image_weight
            await interaction.response.send_modal(_remix_modal(result, source, number, weight, interaction.locale))
            return None
        if action == "edit":
            await interaction.response.send_modal(_edit_modal(result, source, number, interaction.locale))
            return None
        image = await input_image(interaction, source)
        if action == "upscale":
            spec = derive.upscale(result, image, who)
            label, emoji = numbered(UPSCALE_LABEL, number), "🔍"
        else:
            strength: derive.Strength = "strong" if variant == "strong" else "subtle"
            spec = derive.vary(result, image, who, strength)
            label, emoji = numbered(VARY_LABELS[strength], number), "🌀"
        return await _submit(interaction, spec, await shown_message(interaction, job_id), label, emoji)
    except Exception as error:  # components bypass the command tree: the same error path, called by hand
        # not translated: a log line's context
        context = f"{action}:{job_id}:{number} by {interaction.user.id}"
        await report_error(interaction, error, charged=0, context=context)
        return None


def _prompt_of(result: JobResult, source: ImageSource) -> str:
    returned = next((i.prompt for i in result.images if i.attachment_id == source.attachment_id), None)
    return result.prompt or returned or ""


def _edit_modal(result: JobResult, source: ImageSource, number: int, locale: object | None) -> EditModal:
    async def run(interaction: discord.Interaction[Any], text: str, mask: discord.Attachment) -> None:
        image = await input_image(interaction, source)
        spec = derive.edit(result, image, input_file(mask, "mask"), requester(interaction), prompt=text)
        message = interaction.message or await fetch_message(_bot(interaction), source.channel_id, source.message_id)
        await _submit(interaction, spec, message, numbered(EDIT_LABEL, number), "✏️")

    return EditModal(numbered(EDIT_LABEL, number), _prompt_of(result, source), run, locale)


def _remix_modal(result: JobResult, source: ImageSource, number: int, weight: int, locale: object | None) -> RemixModal:
    async def run(interaction: discord.Interaction[Any], text: str, weight: int | None, speed: str | None) -> None:
        image = await input_image(interaction, source)
        spec = derive.remix(
            result, image, requester(interaction), prompt=text, image_weight=weight, rendering_speed=speed
        )
        message = interaction.message or await fetch_message(_bot(interaction), source.channel_id, source.message_id)
        await _submit(interaction, spec, message, numbered(REMIX_LABEL, number), "🎨")

    return RemixModal(numbered(REMIX_LABEL, number), _prompt_of(result, source), weight, run, locale)


async def run_result_action(interaction: discord.Interaction[Any], action: str, job_id: int) -> None:
    """Again, Info and Delete: the whole result."""
    if action != "again":
        await _result_action(interaction, action, job_id)
        return
    async with _once(interaction, f"again:{job_id}") as attempt:
        if attempt is None:
            await interaction.response.send_message(ALREADY_STARTED.render(interaction.locale), ephemeral=True)
            return
        attempt.end = await _result_action(interaction, action, job_id)


async def _result_action(interaction: discord.Interaction[Any], action: str, job_id: int) -> JobEnd | None:
    """Returns how the job Again started ended (None: it started none)."""
    try:
        if action == "again":
            await _acknowledge(interaction)
        job = await known_job(interaction, job_id)
        if action == "info":
            result = await _bot(interaction).ledger.find_result((await shown_message(interaction, job_id)).id)
            embed = info_embed(
                job, result if result is not None and result.job_id == job_id else None, interaction.locale
            )
            await interaction.response.send_message(embed=embed, ephemeral=True)
        elif action == "delete":
            if interaction.user.id != job.user_id and not await _bot(interaction).is_moderator(interaction.user):
                raise UserFacingError(NOT_YOURS)
            await interaction.response.defer()
            await (await shown_message(interaction, job_id)).delete()
        else:
            sources = derive.inputs_to_fetch(job)
            images = {name: await input_image(interaction, source, name) for name, source in sources.items()}
            spec = derive.again(job, requester(interaction), images)
            return await _submit(interaction, spec, await shown_message(interaction, job_id), AGAIN_LABEL, "🎲")
    except Exception as error:
        # not translated: a log line's context
        charged = 0 if action == "again" else None  # Info and Delete start no job: nothing was at stake
        await report_error(interaction, error, charged=charged, context=f"{action}:{job_id} by {interaction.user.id}")
    return None


class _Clicked(discord.ui.DynamicItem[discord.ui.Item[Any]], template=r"(?!)"):
    """What every persistent item here shares: it is rebuilt from the clicked component and its custom_id match."""

    def __init__(self, item: discord.ui.Item[Any], match: re.Match[str]) -> None:
        super().__init__(item)
        self.match = match

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(item, match)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await refuse_unserved(interaction)


class ImageButton(
    _Clicked,
    template=rf"(?P<action>{IMAGE_ACTIONS}):(?P<job_id>[0-9]+):(?P<number>[0-9]+)(?::(?P<variant>subtle|strong))?",
):
    """Upscale N, Vary N subtle/strong, Remix N, Edit N; Imagine N under a /describe result."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        m = self.match
        await run_image_action(interaction, m["action"], int(m["job_id"]), int(m["number"]), m["variant"])


class ImageSelect(
    _Clicked, template=rf"(?P<action>{SELECT_ACTIONS}):(?P<job_id>[0-9]+)(?::(?P<variant>subtle|strong))?"
):
    """The per-action select of a result with more than 4 images; its values are image numbers."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = self.item.values if isinstance(self.item, discord.ui.Select) else []
        number = int(values[0]) if values and values[0].isdigit() else 0
        m = self.match
        await run_image_action(interaction, m["action"], int(m["job_id"]), number, m["variant"])


class ResultButton(_Clicked, template=rf"(?P<action>{RESULT_ACTIONS}):(?P<job_id>[0-9]+)"):
    """Again (same settings, new seed), Info (private) and Delete (author or moderator)."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_result_action(interaction, self.match["action"], int(self.match["job_id"]))


class Results(commands.Cog):
    """Holds what clicks share: `repeats` (a second click within a few seconds starts nothing)."""

    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        self.repeats = RepeatGuard()


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Results(bot))
    bot.add_dynamic_items(ImageButton, ImageSelect, ResultButton)
