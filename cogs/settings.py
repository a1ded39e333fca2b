"""/settings: a member's own defaults in this server, used by every job they start where they did not give that
option (the pipeline applies them: `bot.jobs.defaults`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.i18n import N_, Message, _
from bot.ideogram.catalog import OPTIONS
from bot.ledger import SETTING_NAMES

Interaction = discord.Interaction[IdeogramBot]

TITLE: Final = _("Your defaults in this server")
NO_DEFAULTS: Final = _(
    "You have no defaults here, so every job uses the command's own. "
    "Set some with `/settings`, e.g. `/settings rendering_speed:TURBO num_images:2`."
)
SAVED: Final = _("Saved. Jobs you start here use these wherever you don't give the option yourself.")
CLEARED: Final = _("Your defaults here are cleared.")
FOOTER: Final = _(
    "A default is skipped where a command or model can't take it. `/settings reset:True` clears them all."
)


def settings_embed(settings: Mapping[str, object], note: Message | None, locale: object) -> discord.Embed:
    embed = discord.Embed(title=TITLE.render(locale), colour=discord.Colour.blurple())
    lines = [f"`{name}`: {discord.utils.escape_markdown(str(value))}" for name, value in settings.items()]
    shown = "\n".join(lines) or NO_DEFAULTS.render(locale)
    embed.description = shown if note is None else f"{note.render(locale)}\n{shown}"
    embed.set_footer(text=FOOTER.render(locale))
    return embed


class MemberDefaults(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @app_commands.command(name="settings")
    @app_commands.guild_only()
    @app_commands.describe(
        **{name: OPTIONS[name].description for name in SETTING_NAMES},
        reset=N_("Clear all your defaults here (before setting any given with it)"),
    )
    @app_commands.choices(
        **{
            name: [app_commands.Choice(name=value, value=value) for value in OPTIONS[name].values]
            for name in SETTING_NAMES
            if OPTIONS[name].values and not OPTIONS[name].autocomplete
        }
    )
    async def settings(
        self,
        interaction: Interaction,
        model: str | None = None,
        rendering_speed: str | None = None,
        aspect_ratio: str | None = None,
        style_type: str | None = None,
        magic_prompt: str | None = None,
        num_images: app_commands.Range[int, 1, 8] | None = None,
        negative_prompt: app_commands.Range[str, 1, 1000] | None = None,
        reset: bool = False,
    ) -> None:
        """Your own defaults for jobs in this server (only you see them)."""
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        given = {name: value for name, value in interaction.namespace if name in SETTING_NAMES and value is not None}
        store = self.bot.ledger.member_settings
        if reset:
            await store.reset(guild_id, user_id)
        current = await store.update(guild_id, user_id, given) if given else await store.get(guild_id, user_id)
        note = SAVED if given else CLEARED if reset else None
        embed = settings_embed(current, note, interaction.locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(MemberDefaults(bot))
