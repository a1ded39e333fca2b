"""What a click under a result is about: the result message, the job behind it and its images, looked up again
on every click (nothing is kept per message). A click, or a remix reaction (`cogs.reactions`), in the moment between
a result appearing and its job being recorded waits for the record (`recorded_result`) rather than being refused."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Final, cast

import discord

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import _
from bot.jobs import ImageSource, derive
from bot.ledger import Job, JobResult
from cogs.layout import IMAGE_ACTIONS, RESULT_ACTIONS
from cogs.sources import fetch_image, fetch_message, fetched, message_images

# A result is posted a moment before its job is charged and recorded; a click in between waits this long for the
# record (less than Discord's 3 s to answer, so a click that opens a form can still open it).
RECORDING_WAIT_S: Final = 2.0
STILL_SAVING: Final = _("This result is still being saved. Try again in a moment.")
# The start of every `custom_id` under a result (DESIGN.md): `<action>:<job_id>`.
_ACTION_ID: Final = re.compile(rf"(?:{IMAGE_ACTIONS}|{RESULT_ACTIONS}):(?P<job_id>[0-9]+)(?::|$)")


def _bot(interaction: discord.Interaction[Any]) -> IdeogramBot:
    return cast(IdeogramBot, interaction.client)


def _message(interaction: discord.Interaction[Any]) -> discord.Message:
    if interaction.message is None:
        raise UserFacingError(derive.UNKNOWN_JOB)
    return interaction.message


async def shown_message(interaction: discord.Interaction[Any], job_id: int) -> discord.Message:
    """The result message a click is about: the clicked one, or, for a click on the copy of its buttons under
    `/job`'s private answer, the job's own result message (fetched again: it must still exist)."""
    message = _message(interaction)
    if not message.flags.ephemeral:
        return message
    job = await known_job(interaction, job_id)
    if job.message_id is None:
        raise UserFacingError(derive.UNKNOWN_JOB)
    return await fetch_message(_bot(interaction), job.channel_id, job.message_id)


async def known_job(interaction: discord.Interaction[Any], job_id: int) -> Job:
    job = await _bot(interaction).ledger.job(job_id)
    if job is None or job.guild_id != interaction.guild_id:
        raise UserFacingError(derive.UNKNOWN_JOB)
    return job


async def shown_result(interaction: discord.Interaction[Any], job_id: int) -> JobResult:
    """The job shown by the clicked message (the custom_id must name that job)."""
    assert interaction.guild_id is not None
    message_id = (await shown_message(interaction, job_id)).id
    result = await recorded_result(_bot(interaction), interaction.guild_id, job_id, message_id)
    if result is None:
        raise UserFacingError(derive.UNKNOWN_JOB)
    return result


async def recorded_result(bot: IdeogramBot, guild_id: int, job_id: int, message_id: int) -> JobResult | None:
    """The job `job_id` of this server as the result the message `message_id` shows, for a click or a reaction on
    it; None when that message shows no such job. A job still running, its result posted but not recorded yet, is
    waited for (`STILL_SAVING` when the record takes longer than `RECORDING_WAIT_S`)."""
    result = await bot.ledger.find_result(message_id)
    if result is None:
        job = await bot.ledger.job(job_id)
        if job is None or job.guild_id != guild_id:
            return None
        if job.status == "running":
            try:
                async with asyncio.timeout(RECORDING_WAIT_S):
                    await bot.jobs.recorded(message_id)
            except TimeoutError:
                raise UserFacingError(STILL_SAVING) from None
        result = await bot.ledger.find_result(message_id)
    if result is None or result.job_id != job_id or result.guild_id != guild_id:
        return None
    return result


def shown_job_id(message: discord.Message) -> int | None:
    """The job whose actions are under `message` (every `custom_id` there starts `<action>:<job_id>`), if any."""
    for row in message.components:
        for item in getattr(row, "children", ()):
            if (match := _ACTION_ID.match(getattr(item, "custom_id", None) or "")) is not None:
                return int(match["job_id"])
    return None


async def input_image(
    interaction: discord.Interaction[Any], source: ImageSource, option: str = "image"
) -> derive.FetchedImage:
    """An input image: from the clicked message itself (its URLs came fresh with the click), else fetched again."""
    message = interaction.message
    if message is not None and message.id == source.message_id:
        images = message_images(_bot(interaction), message)
        found = next((i for i in images if i.attachment_id == source.attachment_id), None)
        if source.attachment_id is None and 0 < source.number <= len(images):
            found = images[source.number - 1]
        if found is not None:
            return fetched(message, found, option)
    return await fetch_image(_bot(interaction), source, option)
