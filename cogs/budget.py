"""/balance for everyone, /budget for moderators. Amounts are typed as dollars and kept as micro-dollars."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import Message, _, _n, render
from bot.i18n.readback import shown_text
from bot.i18n.terms import PER_PERIOD, THIS_PERIOD, allowance_source, entry_kind
from bot.ledger import Balance, Period, ServerSettings, entries_csv
from bot.money import Amount, parse_amount
from cogs.output import inert
from cogs.sources import role_ids

Interaction = discord.Interaction[IdeogramBot]
# Every reply here is private: in the language of the member who used the command.
REMAINING: Final = _("Remaining")
SPENT: Final = _("Spent")
HELD: Final = _("Held")
ALLOWANCE: Final = _("Allowance")
PERIOD: Final = _("Period")
NEXT_RESET: Final = _("Next reset")


def _timestamp(moment: datetime, style: str) -> str:
    """A Discord timestamp: each member's client draws it in their own language and time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def _when(moment: datetime | None) -> Message:
    if moment is None:
        return _("never (total budget)")
    return _("{date} ({relative})", date=_timestamp(moment, "f"), relative=_timestamp(moment, "R"))


def _period(period: Period, start: datetime) -> Message:
    since = _timestamp(start, "d")
    if period == "day":
        return _("Today, since {date}", date=since)
    if period == "week":
        return _("This week, since {date}", date=since)
    if period == "month":
        return _("This month, since {date}", date=since)
    return _("All time")


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def _allowance(amount: int, period: Period) -> Message:
    return _("{amount} {per_period}", amount=Amount(amount), per_period=PER_PERIOD[period])


def balance_embed(balance: Balance, title: Message, locale: object) -> discord.Embed:
    def say(message: Message) -> str:
        return render(message, locale)

    embed = discord.Embed(title=say(title), colour=discord.Colour.blurple())
    embed.add_field(name=say(REMAINING), value=Amount(balance.remaining).render(locale))
    embed.add_field(name=say(SPENT), value=Amount(balance.spent).render(locale))
    embed.add_field(name=say(HELD), value=Amount(balance.held).render(locale))
    source = allowance_source(balance.allowance_source)
    if balance.allowance_role_id is not None and isinstance(source, Message):
        source = source.with_params(role=f"<@&{balance.allowance_role_id}>")
    allowance = say(_("{allowance} ({source})", allowance=_allowance(balance.allowance, balance.period), source=source))
    if balance.granted:
        allowance += "\n" + say(_("{amount} granted this period", amount=Amount(balance.granted)))
    embed.add_field(name=say(ALLOWANCE), value=allowance, inline=False)
    embed.add_field(name=say(PERIOD), value=say(_period(balance.period, balance.period_start)))
    embed.add_field(name=say(NEXT_RESET), value=say(_when(balance.next_reset)))
    return embed


def _cap_text(cap: int | None, period: Period | None) -> Message:
    return _("off") if cap is None or period is None else _allowance(cap, period)


def _non_negative(text: str) -> int:
    amount = parse_amount(text)
    if amount < 0:
        raise UserFacingError(
            _("Use an amount of zero or more here; to take money away, use `/budget grant` with a negative amount.")
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
        balance = await self.bot.ledger.balance(
            interaction.guild_id, interaction.user.id, role_ids=role_ids(interaction.user)
        )
        embed = balance_embed(balance, _("Your image budget"), interaction.locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Budget(commands.GroupCog, name="budget", description="Moderators: members' image budgets"):
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

    @staticmethod
    def _guild(interaction: Interaction) -> int:
        assert interaction.guild_id is not None
        return interaction.guild_id

    @app_commands.command(name="set")
    @app_commands.describe(
        user="A member, or a role (members without their own get their best role's)",
        amount="Dollars per period, e.g. 2.50, or `default` to follow the server default again",
        period="Defaults to the server's period",
    )
    async def set_allowance(
        self,
        interaction: Interaction,
        user: discord.Member | discord.Role,
        amount: str,
        period: Period | None = None,
    ) -> None:
        """Give one member (or a role) their own allowance (or `default` to remove it)."""
        micros = None if amount.strip().lower() == "default" else _non_negative(amount)
        guild_id = self._guild(interaction)
        if isinstance(user, discord.Role):
            await self._set_role_allowance(interaction, user, micros, period)
            return
        before = await self.bot.ledger.balance(guild_id, user.id, role_ids=role_ids(user))
        await self.bot.ledger.set_allowance(
            guild_id=guild_id,
            user_id=user.id,
            amount=micros,
            period=period,
            actor_id=interaction.user.id,
        )
        balance = await self.bot.ledger.balance(guild_id, user.id, role_ids=role_ids(user))
        params = {
            "member": user.mention,
            "allowance": _allowance(balance.allowance, balance.period),
            "remaining": Amount(balance.remaining),
        }
        reply = (
            _("{member} follows the server default again: {allowance}; {remaining} left this period.", **params)
            if micros is None
            else _("{member} now has: {allowance}; {remaining} left this period.", **params)
        )
        await interaction.response.send_message(
            reply.render(interaction.locale),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        what = _("the allowance of {member}", member=user.mention)
        old, new = _allowance(before.allowance, before.period), _allowance(balance.allowance, balance.period)
        self.bot.audit(guild_id=guild_id, actor_id=interaction.user.id, what=what, old=old, new=new)

    async def _set_role_allowance(
        self, interaction: Interaction, role: discord.Role, micros: int | None, period: Period | None
    ) -> None:
        guild_id = self._guild(interaction)
        before = await self.bot.ledger.role_allowance(guild_id, role.id)
        await self.bot.ledger.set_role_allowance(
            guild_id=guild_id, role_id=role.id, amount=micros, period=period, actor_id=interaction.user.id
        )
        settings = await self.bot.ledger.server_settings(guild_id)
        new = None if micros is None else _allowance(micros, period or settings.default_period)
        old = None if before is None else _allowance(before[0], before[1] or settings.default_period)
        reply = (
            _("{role} has no allowance of its own now; its members follow the server default.", role=role.mention)
            if new is None
            else _(
                "Members of {role} without their own allowance now get {allowance} (or a higher role's).",
                role=role.mention,
                allowance=new,
            )
        )
        await interaction.response.send_message(
            reply.render(interaction.locale), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        what = _("the allowance of role {role}", role=role.mention)
        self.bot.audit(guild_id=guild_id, actor_id=interaction.user.id, what=what, old=old, new=new)

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
            raise UserFacingError(_("A grant of $0.00 changes nothing. Use a positive or negative amount."))
        await self.bot.ledger.grant(
            guild_id=self._guild(interaction),
            user_id=user.id,
            amount=micros,
            actor_id=interaction.user.id,
            reason=reason or "",
        )
        balance = await self.bot.ledger.balance(self._guild(interaction), user.id, role_ids=role_ids(user))
        params = {"amount": Amount(abs(micros)), "member": user.mention, "remaining": Amount(balance.remaining)}
        reply = (
            _("Granted {amount} to {member}; they have {remaining} left this period.", **params)
            if micros > 0
            else _("Deducted {amount} from {member}; they have {remaining} left this period.", **params)
        )
        await interaction.response.send_message(
            reply.render(interaction.locale),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        params["reason"] = inert(reason) if reason else "—"
        what = (
            _("granted {amount} to {member} ({reason})", **params)
            if micros > 0
            else _("deducted {amount} from {member} ({reason})", **params)
        )
        self.bot.audit(guild_id=self._guild(interaction), actor_id=interaction.user.id, what=what)

    @app_commands.command(name="default")
    @app_commands.describe(
        amount="Dollars per period for members without their own allowance", period="day, week, month or total"
    )
    async def default(self, interaction: Interaction, amount: str, period: Period | None = None) -> None:
        """Set the server's default allowance."""
        micros = _non_negative(amount)

        def shown(settings: ServerSettings) -> Message:
            return _allowance(settings.default_allowance, settings.default_period)

        # Without a period the server keeps the one it has (the ledger's rule), so read back what applies.
        await self._change_server(
            interaction,
            lambda guild_id: self.bot.ledger.set_default(
                guild_id=guild_id, amount=micros, period=period, actor_id=interaction.user.id
            ),
            what=_("the server default allowance"),
            shown=shown,
            reply=lambda now: _("Members without their own allowance now get {allowance}.", allowance=shown(now)),
        )

    @app_commands.command(name="cap")
    @app_commands.describe(
        amount="Most the whole server may spend per period, or `off`", period="day, week, month or total"
    )
    async def cap(self, interaction: Interaction, amount: str, period: Period | None = None) -> None:
        """Cap what the whole server may spend per period."""
        micros = None if amount.strip().lower() in {"off", "none"} else _non_negative(amount)

        def reply(settings: ServerSettings) -> Message:
            if settings.cap is None or settings.cap_period is None:
                return _("The server cap is off.")
            return _(
                "The whole server may now spend at most {allowance}.",
                allowance=_allowance(settings.cap, settings.cap_period),
            )

        # Without a period the cap keeps its own, else takes the server's (the ledger's rule); read it back.
        await self._change_server(
            interaction,
            lambda guild_id: self.bot.ledger.set_cap(
                guild_id=guild_id, amount=micros, period=period, actor_id=interaction.user.id
            ),
            what=_("the server cap"),
            shown=lambda settings: _cap_text(settings.cap, settings.cap_period),
            reply=reply,
        )

    async def _change_server(
        self,
        interaction: Interaction,
        change: Callable[[int], Awaitable[None]],
        *,
        what: Message,
        shown: Callable[[ServerSettings], Message],
        reply: Callable[[ServerSettings], Message],
    ) -> None:
        """Make a server-wide `change`, then read back what applies: reply with it and tell the log channel
        what it was and is."""
        guild_id = self._guild(interaction)
        before = await self.bot.ledger.server_settings(guild_id)
        await change(guild_id)
        settings = await self.bot.ledger.server_settings(guild_id)
        await interaction.response.send_message(reply(settings).render(interaction.locale), ephemeral=True)
        self.bot.audit(
            guild_id=guild_id, actor_id=interaction.user.id, what=what, old=shown(before), new=shown(settings)
        )

    @app_commands.command(name="show")
    @app_commands.describe(user="Whose budget")
    async def show(self, interaction: Interaction, user: discord.Member) -> None:
        """A member's balance and recent ledger entries."""
        guild_id = self._guild(interaction)
        balance = await self.bot.ledger.balance(guild_id, user.id, role_ids=role_ids(user))
        locale = interaction.locale
        embed = balance_embed(balance, _("Budget of {name}", name=user.display_name), locale)
        lines = [
            " ".join(
                (
                    _timestamp(entry.created_at, "d"),
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
        guild_id = self._guild(interaction)
        report = await self.bot.ledger.report(guild_id, period)
        locale = interaction.locale

        def say(message: Message) -> str:
            return message.render(locale)

        embed = discord.Embed(
            title=say(_("Spending {this_period}", this_period=THIS_PERIOD[report.period])),
            description=say(
                _(
                    "{period}; next reset: {when}",
                    period=_period(report.period, report.period_start),
                    when=_when(report.next_reset),
                )
            ),
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name=say(SPENT), value=Amount(report.spent).render(locale))
        embed.add_field(name=say(HELD), value=Amount(report.held).render(locale))
        embed.add_field(name=say(_("Granted")), value=Amount(report.granted).render(locale))
        embed.add_field(name=say(_("Jobs")), value=str(report.jobs))
        embed.add_field(
            name=say(_("Paid to the provider")),
            value=say(
                _(
                    "{paid}: {captured} captured from members, {written_off} written off (billed, never received), "
                    "{uncertain} uncertain (outcome unknown). Refunded to members since: {refunded}.",
                    paid=Amount(report.paid),
                    captured=Amount(report.captured),
                    written_off=Amount(report.written_off),
                    uncertain=Amount(report.uncertain),
                    refunded=Amount(report.refunded),
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
        guild_id = self._guild(interaction)
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


async def setup(bot: IdeogramBot) -> None:
    await bot.add_cog(Balances(bot))
    await bot.add_cog(Budget(bot))
