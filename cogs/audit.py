"""Posts every `audit` event (`bot.audit.AuditEvent`) to the server's log channel, with mentions disabled."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.app import IdeogramBot
from bot.audit import AuditEvent

log = logging.getLogger(__name__)


class AuditLog(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_audit(self, event: AuditEvent) -> None:
        channel_id = event.channel_id or (await self.bot.ledger.policy.get(event.guild_id)).log_channel_id
        if channel_id is None:
            return
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("guild %d: log channel %d is not a channel the bot can see", event.guild_id, channel_id)
            return
        try:
            locale = channel.guild.preferred_locale if isinstance(channel, discord.abc.GuildChannel) else None
            await channel.send(event.text(locale)[:2000], allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            log.warning("guild %d: could not post to the log channel: %s", event.guild_id, error)


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(AuditLog(bot))
