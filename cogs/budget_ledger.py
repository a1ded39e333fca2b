"""/budget show, report and refund: what the ledger says (a member's entries, the period's totals and its CSV)
and giving back what a job charged."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.i18n import Message, _, _n, render
from bot.i18n.readback import shown_text
from bot.i18n.terms import THIS_PERIOD, entry_kind
from bot.ledger import Period, entries_csv
from bot.money import Amount
from cogs.budget_text import (
    HELD,
    REFUNDED,
    SPENT,
    Interaction,
    balance_embed,
    guild_of,
    mention,
    period_text,
    timestamp,
    when_text,
)
from cogs.output import inert
from cogs.sources import role_ids


class BudgetLedger(commands.Cog):
    """The `/budget` subcommands that read the ledger, and refunds (mixed into the `Budget` group cog)."""

    bot: IdeogramBot

    @app_commands.command(name="show")
    @app_commands.describe(user="Whose budget")
    async def show(self, interaction: Interaction, user: discord.Member) -> None:
        """A member's balance and recent ledger entries."""
        guild_id = guild_of(interaction)
        balance = await self.bot.ledger.balance(guild_id, user.id, role_ids=role_ids(user))
        locale = interaction.locale
        embed = balance_embed(balance, _("Budget of {name}", name=user.display_name), locale)
        lines = [
            " ".join(
                (
                    timestamp(entry.created_at, "d"),
                    render(entry_kind(entry.kind), locale),
                    Amount(entry.amount).render(locale),
                    *(("—", render(shown_text(entry.reason, raw=inert), locale)) if entry.reason else ()),
                )
            )
            for entry in await self.bot.ledger.history(guild_id, user.id, limit=10)
        ]
        embed.add_field(
            name=_("Recent").render(locale),
            value="\n".join(lines)[:1024] or _("No entries yet.").render(locale),
            inline=False,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="report")
    @app_commands.describe(period="Which period (defaults to the server's)")
    async def report(self, interaction: Interaction, period: Period | None = None) -> None:
        """Top spenders and totals, with the period's ledger as CSV."""
        guild_id = guild_of(interaction)
        report = await self.bot.ledger.report(guild_id, period)
        locale = interaction.locale

        def say(message: Message) -> str:
            return message.render(locale)

        embed = discord.Embed(
            title=say(_("Spending {this_period}", this_period=THIS_PERIOD[report.period])),
            description=say(
                _(
                    "{period}; next reset: {when}",
                    period=period_text(report.period, report.period_start),
                    when=when_text(report.next_reset),
                )
            ),
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name=say(SPENT), value=Amount(report.spent).render(locale))
        embed.add_field(name=say(REFUNDED), value=Amount(report.refunded).render(locale))
        embed.add_field(name=say(HELD), value=Amount(report.held).render(locale))
        embed.add_field(name=say(_("Granted")), value=Amount(report.granted).render(locale))
        embed.add_field(name=say(_("Jobs")), value=str(report.jobs))
        embed.add_field(
            name=say(_("Paid to the provider")),
            value=say(
                _(
                    "{paid}: {captured} captured from members, {written_off} written off (billed, never received), "
                    "{uncertain} uncertain (outcome unknown).",
                    paid=Amount(report.paid),
                    captured=Amount(report.captured),
                    written_off=Amount(report.written_off),
                    uncertain=Amount(report.uncertain),
                )
            ),
            inline=False,
        )
        top = [
            say(
                _n(
                    "{rank}. {member} {amount} ({count} job)",
                    "{rank}. {member} {amount} ({count} jobs)",
                    count=row.jobs,
                    rank=rank,
                    member=mention(row.user_id),
                    amount=Amount(row.spent),
                )
            )
            for rank, row in enumerate(report.top_spenders, start=1)
        ]
        embed.add_field(
            name=say(_("Top spenders")),
            value="\n".join(top)[:1024] or say(_("Nobody has spent anything yet.")),
            inline=False,
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
        guild_id = guild_of(interaction)
        amount = await self.bot.ledger.refund(job, actor_id=interaction.user.id, guild_id=guild_id)
        record = await self.bot.ledger.job(job)
        assert record is not None  # the refund found it
        balance = await self.bot.ledger.balance(guild_id, record.user_id)
        reply = _(
            "Refunded {amount} of job {job_id} to {member}; they have {remaining} left this period.",
            amount=Amount(amount),
            job_id=job,
            member=mention(record.user_id),
            remaining=Amount(balance.remaining),
        )
        await interaction.response.send_message(
            reply.render(interaction.locale), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        what = _(
            "refunded {amount} of job {job_id} to {member}",
            amount=Amount(amount),
            job_id=job,
            member=mention(record.user_id),
        )
        self.bot.audit(guild_id=guild_id, actor_id=interaction.user.id, what=what)
