"""/budget set, grant, default and cap: what members and the server may spend. Each change answers the moderator
privately and is told to the log channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import Message, _
from bot.ledger import Period, ServerSettings
from bot.money import Amount, parse_amount
from cogs.budget_text import Interaction, allowance_text, cap_text, guild_of, non_negative
from cogs.output import inert
from cogs.sources import role_ids


class BudgetChanges(commands.Cog):
    """The `/budget` subcommands that change budgets (mixed into the `Budget` group cog)."""

    bot: IdeogramBot

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
        micros = None if amount.strip().lower() == "default" else non_negative(amount)
        guild_id = guild_of(interaction)
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
            "allowance": allowance_text(balance.allowance, balance.period),
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
        old, new = allowance_text(before.allowance, before.period), allowance_text(balance.allowance, balance.period)
        self.bot.audit(guild_id=guild_id, actor_id=interaction.user.id, what=what, old=old, new=new)

    async def _set_role_allowance(
        self, interaction: Interaction, role: discord.Role, micros: int | None, period: Period | None
    ) -> None:
        guild_id = guild_of(interaction)
        before = await self.bot.ledger.role_allowance(guild_id, role.id)
        await self.bot.ledger.set_role_allowance(
            guild_id=guild_id, role_id=role.id, amount=micros, period=period, actor_id=interaction.user.id
        )
        settings = await self.bot.ledger.server_settings(guild_id)
        new = None if micros is None else allowance_text(micros, period or settings.default_period)
        old = None if before is None else allowance_text(before[0], before[1] or settings.default_period)
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
            guild_id=guild_of(interaction),
            user_id=user.id,
            amount=micros,
            actor_id=interaction.user.id,
            reason=reason or "",
        )
        balance = await self.bot.ledger.balance(guild_of(interaction), user.id, role_ids=role_ids(user))
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
        self.bot.audit(guild_id=guild_of(interaction), actor_id=interaction.user.id, what=what)

    @app_commands.command(name="default")
    @app_commands.describe(
        amount="Dollars per period for members without their own allowance", period="day, week, month or total"
    )
    async def default(self, interaction: Interaction, amount: str, period: Period | None = None) -> None:
        """Set the server's default allowance."""
        micros = non_negative(amount)

        def shown(settings: ServerSettings) -> Message:
            return allowance_text(settings.default_allowance, settings.default_period)

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
        micros = None if amount.strip().lower() in {"off", "none"} else non_negative(amount)

        def reply(settings: ServerSettings) -> Message:
            if settings.cap is None or settings.cap_period is None:
                return _("The server cap is off.")
            return _(
                "The whole server may now spend at most {allowance}.",
                allowance=allowance_text(settings.cap, settings.cap_period),
            )

        # Without a period the cap keeps its own, else takes the server's (the ledger's rule); read it back.
        await self._change_server(
            interaction,
            lambda guild_id: self.bot.ledger.set_cap(
                guild_id=guild_id, amount=micros, period=period, actor_id=interaction.user.id
            ),
            what=_("the server cap"),
            shown=lambda settings: cap_text(settings.cap, settings.cap_period),
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
        guild_id = guild_of(interaction)
        before = await self.bot.ledger.server_settings(guild_id)
        await change(guild_id)
        settings = await self.bot.ledger.server_settings(guild_id)
        await interaction.response.send_message(reply(settings).render(interaction.locale), ephemeral=True)
        self.bot.audit(
            guild_id=guild_id, actor_id=interaction.user.id, what=what, old=shown(before), new=shown(settings)
        )
