"""/help: a short private guide. The command list is read from the command tree itself, so it cannot go stale;
prices come from the live price table (the operator's `[pricing]` overrides included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.ideogram.values import LEGACY_MODELS, RENDERING_SPEEDS
from bot.ledger import Balance
from bot.money import format_amount
from bot.pricing import PriceTable

Interaction = discord.Interaction[IdeogramBot]

TITLE: Final = "How to use the image bot"
INTRO: Final = (
    "Type a command below; images are posted in the channel and charged to your budget in this server. "
    "Mistakes are explained privately before anything is charged."
)
COMMAND_LINE: Final = "`/{name}` {description}"
MENU_LINE: Final = "**{name}** (right-click a message → Apps) {description}"
BUTTONS: Final = (
    "**Upscale N** · **Vary N** (subtle or strong) · **Remix N** · **Again** (new seed) · **Info** · **Delete** "
    "(author or moderator). Whoever clicks pays. React 🔁 to remix the first image, 1️⃣–8️⃣ for image N."
)
PRICES: Final = (
    "V_3 per image: {v3}. Edit, reframe and replace-background: {edit}. Upscale {upscale} per image, "
    "describe {describe} per call. Older models: {legacy} per image."
)
BUDGET: Final = "You have {remaining} left {period} (allowance {allowance}). `/balance` shows the details."
MODERATORS: Final = (
    "Moderators (Manage Server or a moderator role) set budgets with `/budget set` (a member or a role), "
    "`/budget default`, `/budget grant` and `/budget cap`, and the server's rules with `/policy`."
)
MENU_DESCRIPTIONS: Final = {
    "Describe image": "describes the message's first image",
    "Remix image": "remixes the message's first image with a prompt you type",
    "Upscale image": "enlarges the message's first image",
}
_PERIOD_WORDS: Final = {"day": "today", "week": "this week", "month": "this month", "total": "in total"}


def command_lines(tree: app_commands.CommandTree[IdeogramBot]) -> Iterator[str]:
    """Every slash command and subcommand, then every message menu, as registered."""
    for command in sorted(tree.walk_commands(), key=lambda c: c.qualified_name):
        if isinstance(command, app_commands.Command):
            yield COMMAND_LINE.format(name=command.qualified_name, description=command.description)
    for menu in tree.get_commands(type=discord.AppCommandType.message):
        yield MENU_LINE.format(name=menu.name, description=MENU_DESCRIPTIONS.get(menu.name, ""))


def price_text(prices: PriceTable) -> str:
    def listing(column: str) -> str:
        return ", ".join(
            f"{speed} {format_amount(prices.unit_price(column, speed=speed))}" for speed in RENDERING_SPEEDS
        )

    legacy = [prices.unit_price("generate", model=model) for model in LEGACY_MODELS]
    return PRICES.format(
        v3=listing("generate"),
        edit=listing("edit"),
        upscale=format_amount(prices.unit_price("upscale")),
        describe=format_amount(prices.unit_price("describe")),
        legacy=f"{format_amount(min(legacy))}–{format_amount(max(legacy))}",
    )


def help_embed(tree: app_commands.CommandTree[IdeogramBot], prices: PriceTable, balance: Balance) -> discord.Embed:
    embed = discord.Embed(title=TITLE, colour=discord.Colour.blurple(), description=INTRO)
    lines = list(command_lines(tree))
    # Fields hold 1,024 characters: split the list across as many as it needs.
    chunk: list[str] = []
    for line in lines:
        if sum(len(item) + 1 for item in chunk) + len(line) > 1000:
            embed.add_field(name="Commands" if not embed.fields else "\u200b", value="\n".join(chunk), inline=False)
            chunk = []
        chunk.append(line)
    if chunk:
        embed.add_field(name="Commands" if not embed.fields else "\u200b", value="\n".join(chunk), inline=False)
    embed.add_field(name="Under every result", value=BUTTONS, inline=False)
    embed.add_field(name="Prices", value=price_text(prices), inline=False)
    embed.add_field(
        name="Your budget",
        value=BUDGET.format(
            remaining=format_amount(balance.remaining),
            period=_PERIOD_WORDS[balance.period],
            allowance=format_amount(balance.allowance),
        ),
        inline=False,
    )
    embed.add_field(name="Moderators", value=MODERATORS, inline=False)
    return embed


class Help(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    @app_commands.guild_only()
    async def help(self, interaction: Interaction) -> None:
        """What the bot does, what it costs and what you have left (only you see it)."""
        assert interaction.guild_id is not None
        balance = await self.bot.ledger.balance(interaction.guild_id, interaction.user.id)
        embed = help_embed(self.bot.tree, self.bot.prices, balance)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Help(bot))
