"""/balance for everyone, /budget for moderators. Amounts are typed as dollars and kept as micro-dollars."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.ledger import Balance, Period, entries_csv
from bot.ledger.periods import PER_PERIOD, THIS_PERIOD
from bot.money import format_amount, parse_amount

Interaction = discord.Interaction[IdeogramBot]
SOURCE_WORDS: Final = {"own": "own allowance", "server": "server default", "config": "bot default"}
PAID: Final = (
    "{paid}: {captured} captured from members, {written_off} written off (billed, never received), "
    "{uncertain} uncertain (outcome unknown). Refunded to members since: {refunded}."
)
REFUNDED: Final = "Refunded {amount} of job {job_id} to {member}; they have {remaining} left this period."


def _when(moment: datetime | None) -> str:
    return (
        "never (total budget)"
        if moment is None
        else f"<t:{int(moment.timestamp())}:f> (<t:{int(moment.timestamp())}:R>)"
    )


def _period(period: Period, start: datetime) -> str:
    return "All time" if period == "total" else f"This {period}, since <t:{int(start.timestamp())}:d>"


def balance_embed(balance: Balance, title: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=discord.Colour.blurple())
    embed.add_field(name="Remaining", value=format_amount(balance.remaining))
    embed.add_field(name="Spent", value=format_amount(balance.spent))
    embed.add_field(name="Held", value=format_amount(balance.held))
    allowance = (
        f"{format_amount(balance.allowance)} {PER_PERIOD[balance.period]} ({SOURCE_WORDS[balance.allowance_source]})"
    )
    if balance.granted:
        allowance += f"\n{format_amount(balance.granted)} granted this period"
    embed.add_field(name="Allowance", value=allowance, inline=False)
    embed.add_field(name="Period", value=_period(balance.period, balance.period_start))
    embed.add_field(name="Next reset", value=_when(balance.next_reset))
    return embed


def _non_negative(text: str) -> int:
    amount = parse_amount(text)
    if amount < 0:
        raise UserFacingError(
            "Use an amount of zero or more here; to take money away, use `/budget grant` with a negative amount."
        )
    return amount


class Balances(commands.Cog):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot

    @app_commands.command(name="balance")
    @app_commands.guild_only()
    async def balance(self, interaction: Interaction) -> None:
        """See what you have left to spend on images here."""
        assert interaction.guild_id is not None
        balance = await self.bot.ledger.balance(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(embed=balance_embed(balance, "Your image budget"), ephemeral=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Budget(commands.GroupCog, name="budget", description="Moderators: members' image budgets"):
    def __init__(self, bot: IdeogramBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        # Discord's default permissions can be changed by server admins; the bot checks for itself too.
        if not self.bot.is_moderator(interaction.user):
            raise app_commands.CheckFailure("Only moderators (Manage Server, or a moderator role) can use `/budget`.")
        return True

    @staticmethod
    def _guild(interaction: Interaction) -> int:
        assert interaction.guild_id is not None
        return interaction.guild_id

    @app_commands.command(name="set")
    @app_commands.describe(
        user="Whose allowance",
        amount="Dollars per period, e.g. 2.50, or `default` to follow the server default again",
        period="Defaults to the server's period",
    )
    async def set_allowance(
        self, interaction: Interaction, user: discord.Member, amount: str, period: Period | None = None
    ) -> None:
        """Give one member their own allowance (or `default` to remove it)."""
        micros = None if amount.strip().lower() == "default" else _non_negative(amount)
        await self.bot.ledger.set_allowance(
            guild_id=self._guild(interaction),
            user_id=user.id,
            amount=micros,
            period=period,
            actor_id=interaction.user.id,
        )
        balance = await self.bot.ledger.balance(self._guild(interaction), user.id)
        now_has = "follows the server default again" if micros is None else "now has"
        await interaction.response.send_message(
            f"{user.mention} {now_has}: {format_amount(balance.allowance)} {PER_PERIOD[balance.period]}; "
            f"{format_amount(balance.remaining)} left this period.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="grant")
    @app_commands.describe(
        user="Who gets it", amount="Dollars; negative takes money away", reason="Shown in the ledger"
    )
    async def grant(
        self, interaction: Interaction, user: discord.Member, amount: str, reason: str | None = None
    ) -> None:
        """Add to (or take from) a member's budget for the current period."""
        micros = parse_amount(amount)
        if micros == 0:
            raise UserFacingError("A grant of $0.00 changes nothing. Use a positive or negative amount.")
        await self.bot.ledger.grant(
            guild_id=self._guild(interaction),
            user_id=user.id,
            amount=micros,
            actor_id=interaction.user.id,
            reason=reason or "",
        )
        balance = await self.bot.ledger.balance(self._guild(interaction), user.id)
        verb = "Granted" if micros > 0 else "Deducted"
        await interaction.response.send_message(
            f"{verb} {format_amount(abs(micros))} {'to' if micros > 0 else 'from'} {user.mention}; "
            f"they have {format_amount(balance.remaining)} left this period.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="default")
    @app_commands.describe(
        amount="Dollars per period for members without their own allowance", period="day, week, month or total"
    )
    async def default(self, interaction: Interaction, amount: str, period: Period | None = None) -> None:
        """Set the server's default allowance."""
        micros = _non_negative(amount)
        guild_id = self._guild(interaction)
        # Without a period the server keeps the one it has (the ledger's rule), so read back what applies.
        await self.bot.ledger.set_default(guild_id=guild_id, amount=micros, period=period, actor_id=interaction.user.id)
        settings = await self.bot.ledger.server_settings(guild_id)
        await interaction.response.send_message(
            f"Members without their own allowance now get {format_amount(settings.default_allowance)} "
            f"{PER_PERIOD[settings.default_period]}.",
            ephemeral=True,
        )

    @app_commands.command(name="cap")
    @app_commands.describe(
        amount="Most the whole server may spend per period, or `off`", period="day, week, month or total"
    )
    async def cap(self, interaction: Interaction, amount: str, period: Period | None = None) -> None:
        """Cap what the whole server may spend per period."""
        micros = None if amount.strip().lower() in {"off", "none"} else _non_negative(amount)
        guild_id = self._guild(interaction)
        # Without a period the cap keeps its own, else takes the server's (the ledger's rule); read it back.
        await self.bot.ledger.set_cap(guild_id=guild_id, amount=micros, period=period, actor_id=interaction.user.id)
        settings = await self.bot.ledger.server_settings(guild_id)
        text = (
            "The server cap is off."
            if settings.cap is None or settings.cap_period is None
            else f"The whole server may now spend at most {format_amount(settings.cap)} "
            f"{PER_PERIOD[settings.cap_period]}."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="show")
    @app_commands.describe(user="Whose budget")
    async def show(self, interaction: Interaction, user: discord.Member) -> None:
        """A member's balance and recent ledger entries."""
        guild_id = self._guild(interaction)
        balance = await self.bot.ledger.balance(guild_id, user.id)
        embed = balance_embed(balance, f"Budget of {user.display_name}")
        lines = [
            f"<t:{int(entry.created_at.timestamp())}:d> {entry.kind} {format_amount(entry.amount)}"
            + (f" — {entry.reason}" if entry.reason else "")
            for entry in await self.bot.ledger.history(guild_id, user.id, limit=10)
        ]
        embed.add_field(name="Recent", value="\n".join(lines)[:1024] or "No entries yet.", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="report")
    @app_commands.describe(period="Which period (defaults to the server's)")
    async def report(self, interaction: Interaction, period: Period | None = None) -> None:
        """Top spenders and totals, with the period's ledger as CSV."""
        guild_id = self._guild(interaction)
        report = await self.bot.ledger.report(guild_id, period)
        embed = discord.Embed(
            title=f"Spending {THIS_PERIOD[report.period]}",
            description=f"{_period(report.period, report.period_start)}; next reset: {_when(report.next_reset)}",
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name="Spent", value=format_amount(report.spent))
        embed.add_field(name="Held", value=format_amount(report.held))
        embed.add_field(name="Granted", value=format_amount(report.granted))
        embed.add_field(name="Jobs", value=str(report.jobs))
        embed.add_field(
            name="Paid to the provider",
            value=PAID.format(
                paid=format_amount(report.paid),
                captured=format_amount(report.captured),
                written_off=format_amount(report.written_off),
                uncertain=format_amount(report.uncertain),
                refunded=format_amount(report.refunded),
            ),
            inline=False,
        )
        top = [
            f"{rank}. <@{row.user_id}> {format_amount(row.spent)} ({row.jobs} jobs)"
            for rank, row in enumerate(report.top_spenders, start=1)
        ]
        embed.add_field(
            name="Top spenders", value="\n".join(top)[:1024] or "Nobody has spent anything yet.", inline=False
        )
        # The lines the totals above are made of: a settlement counts in its hold's period.
        rows = await self.bot.ledger.period_entries(guild_id, report.period_start, report.next_reset)
        buffer = io.BytesIO(entries_csv(rows).encode())
        name = "ledger-all-time.csv" if report.period == "total" else f"ledger-{report.period_start:%Y-%m-%d}.csv"
        file = discord.File(buffer, filename=name)
        await interaction.response.send_message(embed=embed, file=file, ephemeral=True)

    @app_commands.command(name="refund")
    @app_commands.describe(job="The job's id (shown in its Info and in /history)")
    async def refund(self, interaction: Interaction, job: app_commands.Range[int, 1]) -> None:
        """Give a member back what one job charged them (once per job)."""
        guild_id = self._guild(interaction)
        amount = await self.bot.ledger.refund(job, actor_id=interaction.user.id, guild_id=guild_id)
        record = await self.bot.ledger.job(job)
        assert record is not None  # the refund found it
        balance = await self.bot.ledger.balance(guild_id, record.user_id)
        await interaction.response.send_message(
            REFUNDED.format(
                amount=format_amount(amount),
                job_id=job,
                member=f"<@{record.user_id}>",
                remaining=format_amount(balance.remaining),
            ),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Balances(bot))
    await bot.add_cog(Budget(bot))
