"""/balance for everyone, /budget for moderators. Amounts are typed as dollars and kept as micro-dollars.

`/budget`'s subcommands live in two mixins: `cogs.budget_changes` (set, grant, default, cap) and
`cogs.budget_ledger` (show, report, refund); their shared words are in `cogs.budget_text`.
"""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.i18n import _
from cogs.budget_changes import BudgetChanges
from cogs.budget_ledger import BudgetLedger
from cogs.budget_text import Interaction, balance_embed
from cogs.sources import role_ids


class Balances(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @app_commands.command(name="balance")
    @app_commands.guild_only()
    async def balance(self, interaction: Interaction) -> None:
        """See what you have left to spend on images here."""
        assert interaction.guild_id is not None
        balance = await self.bot.ledger.balance(
            interaction.guild_id, interaction.user.id, role_ids=role_ids(interaction.user)
        )
        embed = balance_embed(balance, _("Your image budget"), interaction.locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
# discord.py collects the subcommands from the last base to the first: set, grant, default and cap come first.
class Budget(
    BudgetLedger, BudgetChanges, commands.GroupCog, name="budget", description="Moderators: members' image budgets"
):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        # Discord's default permissions can be changed by server admins; the bot checks for itself too.
        if not await self.bot.is_moderator(interaction.user):
            raise app_commands.CheckFailure(
                _("Only moderators (Manage Server, or a moderator role) can use `/budget`.")
            )
        return True


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Balances(bot))
    await bot.add_cog(Budget(bot))
