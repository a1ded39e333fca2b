"""Right-click any message with an image → Apps: Describe image, Remix image (a modal), Upscale image.

They act on the message's first image (attachment or image embed), the bot's results and members' messages
alike; the new result is a reply to that message. On one of the bot's results the source job's prompt and
settings carry over.
"""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.i18n import _
from bot.jobs import derive
from bot.ledger import JobResult
from cogs.click_output import ClickOutput
from cogs.feedback import STARTS_A_JOB
from cogs.modals import RemixModal
from cogs.sources import first_image, requester

# The menus' names (translated by `cogs.translator` when synced), also naming the job in its reply.
DESCRIBE: Final = _("Describe image")
REMIX: Final = _("Remix image")
UPSCALE: Final = _("Upscale image")


class ContextMenus(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        starts = {STARTS_A_JOB: True}  # their refusals say what they cost (nothing)
        self._menus = [
            app_commands.ContextMenu(name=DESCRIBE.msgid, callback=self.describe_image, extras=starts),
            app_commands.ContextMenu(name=REMIX.msgid, callback=self.remix_image, extras=starts),
            app_commands.ContextMenu(name=UPSCALE.msgid, callback=self.upscale_image, extras=starts),
        ]
        for menu in self._menus:
            menu.guild_only = True

    async def cog_load(self) -> None:
        for menu in self._menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self._menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)

    async def _source_job(self, message: discord.Message) -> JobResult | None:
        """The job a message shows, when it is one of the bot's results."""
        if self.bot.user is None or message.author.id != self.bot.user.id:
            return None
        return await self.bot.ledger.find_result(message.id)

    # Errors raised here reach the command tree's handler: the one error path, privately.
    async def describe_image(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        image = first_image(self.bot, message)
        spec = derive.describe(await self._source_job(message), image, requester(interaction))
        await self.bot.jobs.submit(spec, ClickOutput(interaction, message, DESCRIBE, "🔎"))

    async def upscale_image(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        image = first_image(self.bot, message)
        spec = derive.upscale(await self._source_job(message), image, requester(interaction))
        await self.bot.jobs.submit(spec, ClickOutput(interaction, message, UPSCALE, "🔍"))

    async def remix_image(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        first_image(self.bot, message)  # refuse at once when there is none, before the modal opens
        source = await self._source_job(message)
        bot = self.bot

        async def run(modal: discord.Interaction[Any], prompt: str, weight: int | None, speed: str | None) -> None:
            # The modal may be submitted minutes later: the message's image is taken as it is then.
            fresh = await message.fetch()
            image = first_image(bot, fresh)
            who = requester(modal)
            spec = derive.remix(source, image, who, prompt=prompt, image_weight=weight, rendering_speed=speed)
            await bot.jobs.submit(spec, ClickOutput(modal, fresh, REMIX, "🎨"))

        prompt = (source.prompt or "") if source is not None else ""
        await interaction.response.send_modal(
            RemixModal(REMIX, prompt, self.bot.settings.budget.remix_image_weight, run, interaction.locale)
        )


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(ContextMenus(bot))
