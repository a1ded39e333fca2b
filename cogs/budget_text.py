"""What /balance and /budget share: the words for amounts, periods and resets, and the balance embed. Every reply
is private: in the language of the member who used the command."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import discord

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import Message, _, render
from bot.i18n.terms import PER_PERIOD, allowance_source
from bot.ledger import Balance, Period
from bot.money import Amount, parse_amount

Interaction = discord.Interaction[IdeogramBot]
REMAINING: Final = _("Remaining")
SPENT: Final = _("Spent")
HELD: Final = _("Held")
REFUNDED: Final = _("Refunded")
ALLOWANCE: Final = _("Allowance")
PERIOD: Final = _("Period")
NEXT_RESET: Final = _("Next reset")


def guild_of(interaction: Interaction) -> int:
    assert interaction.guild_id is not None
    return interaction.guild_id


def timestamp(moment: datetime, style: str) -> str:
    """A Discord timestamp: each member's client draws it in their own language and time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def when_text(moment: datetime | None) -> Message:
    if moment is None:
        return _("never (total budget)")
    return _("{date} ({relative})", date=timestamp(moment, "f"), relative=timestamp(moment, "R"))


def period_text(period: Period, start: datetime) -> Message:
    since = timestamp(start, "d")
    if period == "day":
        return _("Today, since {date}", date=since)
    if period == "week":
        return _("This week, since {date}", date=since)
    if period == "month":
        return _("This month, since {date}", date=since)
    return _("All time")


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def allowance_text(amount: int, period: Period) -> Message:
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
    allowance = say(
        _("{allowance} ({source})", allowance=allowance_text(balance.allowance, balance.period), source=source)
    )
    # Refunds of earlier periods' jobs beyond this period's spending count like a grant, shown on their own.
    if granted := balance.granted - balance.refund_credit:
        allowance += "\n" + say(_("{amount} granted this period", amount=Amount(granted)))
    if balance.refund_credit:
        allowance += "\n" + say(_("{amount} refunded this period", amount=Amount(balance.refund_credit)))
    embed.add_field(name=say(ALLOWANCE), value=allowance, inline=False)
    embed.add_field(name=say(PERIOD), value=say(period_text(balance.period, balance.period_start)))
    embed.add_field(name=say(NEXT_RESET), value=say(when_text(balance.next_reset)))
    return embed


def cap_text(cap: int | None, period: Period | None) -> Message:
    return _("off") if cap is None or period is None else allowance_text(cap, period)


def non_negative(text: str) -> int:
    amount = parse_amount(text)
    if amount < 0:
        raise UserFacingError(
            _("Use an amount of zero or more here; to take money away, use `/budget grant` with a negative amount.")
        )
    return amount
