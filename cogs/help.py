"""/help: a short private guide. The command list is read from the command tree itself, so it cannot go stale;
prices come from the live price table (the operator's `[pricing]` overrides included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.i18n import _, translate
from bot.i18n.terms import THIS_PERIOD
from bot.ideogram.values import LEGACY_MODELS, RENDERING_SPEEDS
from bot.ledger import Balance
from bot.money import Amount
from bot.pricing import PriceTable
from cogs.sources import role_ids

Interaction = discord.Interaction[IdeogramBot]

TITLE: Final = _("How to use the image bot")
INTRO: Final = _(
    "Type a command below; images are posted in the channel and charged to your budget in this server. "
    "Mistakes are explained privately before anything is charged."
)
# not translated: a line's layout; the description is translated where the tree's strings are
COMMAND_LINE: Final = "`/{name}` {description}"
MENU_LINE: Final = _("**{name}** (right-click a message → Apps) {description}")
BUTTONS: Final = _(
    "**Upscale N** · **Vary N** (subtle or strong) · **Remix N** · **Edit N** · **Again** (new seed) · **Info** · "
    "**Delete** (author or moderator). Whoever clicks pays. React 🔁 to remix the first image, 1️⃣–8️⃣ for image N."
)
PRICES: Final = _(
    "V_3 per image: {v3}. Edit, reframe and replace-background: {edit}. Upscale {upscale} per image, "
    "describe {describe} per call. Older models: {legacy} per image."
)
BUDGET: Final = _("You have {remaining} left {period} (allowance {allowance}). `/balance` shows the details.")
MODERATORS: Final = _(
    "Moderators (Manage Server or a moderator role) set budgets with `/budget set` (a member or a role), "
    "`/budget default`, `/budget grant` and `/budget cap`, and the server's rules with `/policy`."
)
MENU_DESCRIPTIONS: Final = {
    "Describe image": _("describes the message's first image"),
    "Remix image": _("remixes the message's first image with a prompt you type"),
    "Upscale image": _("enlarges the message's first image"),
}
FIELDS: Final = {
    "commands": _("Commands"),
    "buttons": _("Under every result"),
    "prices": _("Prices"),
    "budget": _("Your budget"),
    "moderators": _("Moderators"),
}


def command_lines(tree: app_commands.CommandTree[IdeogramBot], locale: object | None) -> Iterator[str]:
    """Every slash command and subcommand, then every message menu, as registered."""
    for command in sorted(tree.walk_commands(), key=lambda c: c.qualified_name):
        if isinstance(command, app_commands.Command):
            description = translate(command.description, locale) or command.description
            yield COMMAND_LINE.format(name=command.qualified_name, description=description)
    for menu in tree.get_commands(type=discord.AppCommandType.message):
        described = MENU_DESCRIPTIONS.get(menu.name)
        name = translate(menu.name, locale) or menu.name
        yield MENU_LINE.with_params(name=name, description=described or "").render(locale)


def price_text(prices: PriceTable, locale: object | None) -> str:
    def listing(column: str) -> str:
        return ", ".join(
            f"{speed} {Amount(prices.unit_price(column, speed=speed)).render(locale)}" for speed in RENDERING_SPEEDS
        )

    legacy = [prices.unit_price("generate", model=model) for model in LEGACY_MODELS]
    return PRICES.with_params(
        v3=listing("generate"),
        edit=listing("edit"),
        upscale=Amount(prices.unit_price("upscale")),
        describe=Amount(prices.unit_price("describe")),
        legacy=f"{Amount(min(legacy)).render(locale)}–{Amount(max(legacy)).render(locale)}",
    ).render(locale)


def help_embed(
    tree: app_commands.CommandTree[IdeogramBot], prices: PriceTable, balance: Balance, locale: object | None
) -> discord.Embed:
    embed = discord.Embed(title=TITLE.render(locale), colour=discord.Colour.blurple(), description=INTRO.render(locale))

    def field(key: str, value: str) -> None:
        embed.add_field(name=FIELDS[key].render(locale) if key else "\u200b", value=value, inline=False)

    # Fields hold 1,024 characters: split the list across as many as it needs.
    chunk: list[str] = []
    for line in command_lines(tree, locale):
        if sum(len(item) + 1 for item in chunk) + len(line) > 1000:
            field("" if embed.fields else "commands", "\n".join(chunk))
            chunk = []
        chunk.append(line)
    if chunk:
        field("" if embed.fields else "commands", "\n".join(chunk))
    field("buttons", BUTTONS.render(locale))
    field("prices", price_text(prices, locale))
    budget = BUDGET.with_params(
        remaining=Amount(balance.remaining), period=THIS_PERIOD[balance.period], allowance=Amount(balance.allowance)
    )
    field("budget", budget.render(locale))
    field("moderators", MODERATORS.render(locale))
    return embed


class Help(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    @app_commands.guild_only()
    async def help(self, interaction: Interaction) -> None:
        """What the bot does, what it costs and what you have left (only you see it)."""
        assert interaction.guild_id is not None
        balance = await self.bot.ledger.balance(
            interaction.guild_id, interaction.user.id, role_ids=role_ids(interaction.user)
        )
        embed = help_embed(self.bot.tree, self.bot.prices, balance, interaction.locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Help(bot))
