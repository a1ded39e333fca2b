"""/balance and /budget end to end: the real bot, fake Discord, fake image API, real SQLite.

Moderators are members with Manage Server or a role in `[budget] moderator_role_ids`; every /budget test runs
as both. Discord hides /budget from members without Manage Server (its default permissions) unless a server's
admins allow more in Integrations settings, so commands from anyone else are sent as from such a server
(`validate=False`): the bot must check for itself.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.ledger import Entry, Ledger
from bot.money import MICROS_PER_DOLLAR
from tests.e2e.conftest import MANAGE_GUILD, World
from tests.fakes.discord import FakeInteraction, FakeMember, FakeMessage

DENIED = "Only moderators (Manage Server, or a moderator role) can use `/budget`."


class MovableClock:
    """The ledger's idea of now, moved by the test (across a month end, for instance)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, moment: datetime) -> None:
        assert moment > self.now, "the ledger's clock only moves forward"
        self.now = moment


def ledger(world: World) -> Ledger:
    assert world.bot is not None
    return world.bot.ledger


async def command(world: World, member: FakeMember, name: str, **options: Any) -> FakeInteraction:
    """`/name` as `member`. Without Manage Server, Discord shows /budget only where admins allowed it."""
    visible = bool(world.guild.permissions_for(member) & MANAGE_GUILD) or not name.startswith("budget")
    return await world.discord.slash(world.guild, world.channel, member, name, validate=visible, **options)


async def private_message(interaction: FakeInteraction) -> FakeMessage:
    message: FakeMessage = await interaction.wait_for(
        lambda i: next((m for m in [i.original, *i.followups] if m is not None and not m.loading), None)
    )
    assert message.ephemeral, "budgets are private: every /balance and /budget answer must be ephemeral"
    return message


async def reply_text(world: World, member: FakeMember, name: str, **options: Any) -> str:
    return str((await private_message(await command(world, member, name, **options))).content)


def fields(message: FakeMessage) -> dict[str, str]:
    (embed,) = message.embeds
    return {f["name"]: f["value"] for f in embed["fields"]}


def timestamp(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:"


async def spend(world: World, member: FakeMember, images: int = 2) -> FakeMessage:
    """An /imagine at TURBO ($0.03 an image) that the member pays for."""
    interaction = await world.slash(
        "imagine", member=member, prompt="a lighthouse", num_images=images, rendering_speed="TURBO"
    )
    return await world.result(interaction)


async def newest_entry(world: World) -> Entry:
    entries = await ledger(world).entries(world.guild.id)
    return entries[-1]


@dataclass
class Moderator:
    member: FakeMember
    how: str


@pytest.fixture(params=["manage_server", "moderator_role"])
async def moderator(request: pytest.FixtureRequest, world: World) -> Moderator:
    """A running bot and a moderator: by Manage Server, or by a role listed in `[budget] moderator_role_ids`."""
    if request.param == "manage_server":
        await world.start_bot()
        return Moderator(world.moderator, request.param)
    role = world.discord.add_role(world.guild, "Treasurers")
    treasurer = world.discord.add_member(world.guild, "treasurer", roles=[role])
    await world.start_bot(budget={"moderator_role_ids": [role.id]})
    return Moderator(treasurer, request.param)


# ------------------------------------------------------------------------------------------ /budget set


async def test_set_gives_a_member_their_own_allowance(world: World, moderator: Moderator) -> None:
    mod = moderator.member
    for typed, micros in [("0.5", 500_000), ("$0.50", 500_000), ("2", 2_000_000)]:
        text = await reply_text(world, mod, "budget set", user=world.member, amount=typed)
        assert f"{world.member.mention} now has: ${micros / MICROS_PER_DOLLAR:.2f} per month" in text
        balance = await ledger(world).balance(world.guild.id, world.member.id)
        assert (balance.allowance, balance.allowance_source, balance.remaining) == (micros, "own", micros)
        entry = await newest_entry(world)
        assert (entry.kind, entry.amount, entry.user_id, entry.actor_id) == ("adjustment", 0, world.member.id, mod.id)
        assert f"allowance set to ${micros / MICROS_PER_DOLLAR:.2f}" in entry.reason

    text = await reply_text(world, mod, "budget set", user=world.member, amount="0.25", period="week")
    assert "$0.25 per week" in text
    balance = await ledger(world).balance(world.guild.id, world.member.id)
    assert (balance.allowance, balance.period) == (250_000, "week")
    # Only that member changed: the others keep the bot's default.
    other = await ledger(world).balance(world.guild.id, mod.id)
    assert (other.allowance, other.allowance_source, other.period) == (1_000_000, "config", "month")
    history = await ledger(world).history(world.guild.id, world.member.id)
    assert [e.kind for e in history] == ["adjustment"] * 4
    assert {e.actor_id for e in history} == {mod.id}

    # `default` takes the member's own allowance away again.
    text = await reply_text(world, mod, "budget set", user=world.member, amount="Default")
    assert f"{world.member.mention} follows the server default again: $1.00 per month" in text
    balance = await ledger(world).balance(world.guild.id, world.member.id)
    assert (balance.allowance, balance.allowance_source, balance.period) == (1_000_000, "config", "month")
    assert (await newest_entry(world)).actor_id == mod.id


# ---------------------------------------------------------------------------------------- /budget grant


async def test_grant_adds_and_deducts_with_a_reason(world: World, moderator: Moderator) -> None:
    mod = moderator.member
    text = await reply_text(world, mod, "budget grant", user=world.member, amount="$0.50", reason="won the contest")
    assert text == f"Granted $0.50 to {world.member.mention}; they have $1.50 left this period."
    entry = await newest_entry(world)
    assert (entry.kind, entry.amount, entry.user_id, entry.actor_id, entry.reason) == (
        "grant",
        500_000,
        world.member.id,
        mod.id,
        "won the contest",
    )

    text = await reply_text(world, mod, "budget grant", user=world.member, amount="-1.25", reason="refund reversed")
    assert text == f"Deducted $1.25 from {world.member.mention}; they have $0.25 left this period."
    entry = await newest_entry(world)
    assert (entry.kind, entry.amount, entry.actor_id, entry.reason) == ("grant", -1_250_000, mod.id, "refund reversed")

    balance = await ledger(world).balance(world.guild.id, world.member.id)
    assert (balance.granted, balance.remaining, balance.spent) == (-750_000, 250_000, 0)

    text = await reply_text(world, mod, "budget grant", user=world.member, amount="0")
    assert "changes nothing" in text
    assert len(await ledger(world).entries(world.guild.id)) == 2


# -------------------------------------------------------------------------------------- /budget default


async def test_default_applies_to_members_without_their_own(world: World, moderator: Moderator) -> None:
    mod = moderator.member
    await reply_text(world, mod, "budget set", user=mod, amount="5")
    text = await reply_text(world, mod, "budget default", amount="2", period="week")
    assert text == "Members without their own allowance now get $2.00 per week."
    settings = await ledger(world).server_settings(world.guild.id)
    assert (settings.default_allowance, settings.default_period, settings.default_source) == (
        2_000_000,
        "week",
        "server",
    )
    entry = await newest_entry(world)
    assert (entry.kind, entry.user_id, entry.actor_id) == ("adjustment", None, mod.id)
    assert "server default set to $2.00" in entry.reason

    member = await ledger(world).balance(world.guild.id, world.member.id)
    assert (member.allowance, member.allowance_source, member.period) == (2_000_000, "server", "week")
    own = await ledger(world).balance(world.guild.id, mod.id)
    assert (own.allowance, own.allowance_source) == (5_000_000, "own")

    # Without a period, the server keeps the one it chose.
    text = await reply_text(world, mod, "budget default", amount="0.5")
    assert text == "Members without their own allowance now get $0.50 per week."
    settings = await ledger(world).server_settings(world.guild.id)
    assert (settings.default_allowance, settings.default_period) == (500_000, "week")


# ------------------------------------------------------------------------------------------ /budget cap


async def test_cap_limits_the_whole_server(world: World, moderator: Moderator) -> None:
    mod = moderator.member
    text = await reply_text(world, mod, "budget cap", amount="0.05", period="day")
    assert text == "The whole server may now spend at most $0.05 per day."
    settings = await ledger(world).server_settings(world.guild.id)
    assert (settings.cap, settings.cap_period) == (50_000, "day")
    entry = await newest_entry(world)
    assert (entry.kind, entry.user_id, entry.actor_id) == ("adjustment", None, mod.id)
    assert "server cap set to $0.05" in entry.reason

    # A member with $1.00 of their own is stopped by the cap, and nothing is held or sent.
    refused = await world.slash("imagine", prompt="two boats", num_images=2, rendering_speed="TURBO")
    assert "the server has $0.05 left" in await world.private_reply(refused)
    assert world.ideogram.api_requests == []

    # Without a period the cap keeps its own; "off" removes it.
    assert (
        await reply_text(world, mod, "budget cap", amount="$2")
        == "The whole server may now spend at most $2.00 per day."
    )
    assert await reply_text(world, mod, "budget cap", amount="off") == "The server cap is off."
    settings = await ledger(world).server_settings(world.guild.id)
    assert (settings.cap, settings.cap_period) == (None, None)
    adjustments = [e for e in await ledger(world).entries(world.guild.id) if e.kind == "adjustment"]
    assert [e.actor_id for e in adjustments] == [mod.id] * 3
    assert [e for e in await ledger(world).entries(world.guild.id) if e.kind == "hold"] == []


# ----------------------------------------------------------------------------------------- /budget show


async def test_show_is_a_members_balance_and_recent_history(world: World, moderator: Moderator) -> None:
    mod = moderator.member
    await spend(world, world.member)
    await reply_text(world, mod, "budget grant", user=world.member, amount="0.5", reason="helped at the event")

    shown = await private_message(await command(world, mod, "budget show", user=world.member))
    assert shown.embeds[0]["title"] == "Budget of painter"
    values = fields(shown)
    assert values["Remaining"] == "$1.44"
    assert values["Spent"] == "$0.06"
    assert values["Held"] == "$0.00"
    assert values["Allowance"] == "$1.00 per month (bot default)\n$0.50 granted this period"
    recent = values["Recent"].splitlines()
    assert recent[0].endswith("grant $0.50 — helped at the event")
    assert [line.split(">", 1)[1].split()[0] for line in recent] == ["grant", "capture", "hold"]
    assert "capture $0.06" in recent[1]


# --------------------------------------------------------------------------------------- /budget report


def parse_csv(message: FakeMessage) -> tuple[str, list[dict[str, str]]]:
    ((filename, data),) = message.files
    return filename, list(csv.DictReader(io.StringIO(data.decode())))


async def test_report_totals_top_spenders_and_the_periods_ledger_as_csv(world: World, moderator: Moderator) -> None:
    mod = moderator.member
    sculptor = world.discord.add_member(world.guild, "sculptor")
    await reply_text(world, mod, "budget set", user=sculptor, amount="2000")
    await spend(world, world.member, images=1)
    await spend(world, sculptor, images=3)
    await reply_text(
        world, mod, "budget grant", user=world.member, amount="1234.5", reason='annual, with "quotes", too'
    )

    report = await private_message(await command(world, mod, "budget report"))
    assert report.embeds[0]["title"] == "Spending this month"
    values = fields(report)
    assert (values["Spent"], values["Held"], values["Granted"], values["Jobs"]) == ("$0.12", "$0.00", "$1,234.50", "2")
    assert values["Top spenders"].splitlines() == [
        f"1. {sculptor.mention} $0.09 (1 job)",
        f"2. {world.member.mention} $0.03 (1 job)",
    ]

    filename, rows = parse_csv(report)
    assert re.fullmatch(r"ledger-\d{4}-\d{2}-01\.csv", filename)
    assert list(rows[0]) == ["id", "created_at", "kind", "amount_usd", "member_id", "actor_id", "job_id", "reason"]
    assert [(r["kind"], r["amount_usd"], r["member_id"]) for r in rows] == [
        ("adjustment", "0.00", str(sculptor.id)),
        ("hold", "0.03", str(world.member.id)),
        ("capture", "0.03", str(world.member.id)),
        ("hold", "0.09", str(sculptor.id)),
        ("capture", "0.09", str(sculptor.id)),
        ("grant", "1234.50", str(world.member.id)),
    ]
    grant = rows[-1]
    assert (grant["actor_id"], grant["reason"], grant["job_id"]) == (str(mod.id), 'annual, with "quotes", too', "")
    captured = sum(Decimal(r["amount_usd"]) for r in rows if r["kind"] == "capture")
    assert captured == Decimal("0.12")
    assert all(r["job_id"] for r in rows if r["kind"] in ("hold", "capture"))
    entries = await ledger(world).entries(world.guild.id)
    assert [int(r["id"]) for r in rows] == [e.id for e in entries]
    assert [datetime.fromisoformat(r["created_at"]) for r in rows] == [e.created_at for e in entries]


async def test_report_covers_only_the_period_asked_for(world: World) -> None:
    clock = MovableClock(datetime(2031, 1, 30, 12, 0, tzinfo=UTC))
    await world.start_bot(clock=clock)
    await spend(world, world.member, images=1)
    # A job held in January and captured in February counts in January, in the totals and in the CSV alike.
    clock.move_to(datetime(2031, 1, 31, 23, 59, tzinfo=UTC))
    world.ideogram.pause_replies()
    straddling = await world.slash("imagine", prompt="midnight", num_images=3, rendering_speed="TURBO")
    await world.ideogram.wait_for_in_flight(3)
    clock.move_to(datetime(2031, 2, 1, 0, 0, 1, tzinfo=UTC))
    world.ideogram.resume_replies()
    await world.result(straddling)
    assert [(e.kind, e.amount, e.created_at.month) for e in (await ledger(world).entries(world.guild.id))[-2:]] == [
        ("hold", 90_000, 1),
        ("capture", 90_000, 2),
    ]
    await spend(world, world.member, images=2)

    monthly = await private_message(await command(world, world.moderator, "budget report"))
    assert fields(monthly)["Spent"] == "$0.06"
    filename, rows = parse_csv(monthly)
    assert filename == "ledger-2031-02-01.csv"
    assert [(r["kind"], r["amount_usd"]) for r in rows] == [("hold", "0.06"), ("capture", "0.06")]
    assert timestamp(datetime(2031, 3, 1, tzinfo=UTC)) in monthly.embeds[0]["description"]

    every = await private_message(await command(world, world.moderator, "budget report", period="total"))
    assert fields(every)["Spent"] == "$0.18"
    filename, rows = parse_csv(every)
    assert filename == "ledger-all-time.csv"
    assert [r["amount_usd"] for r in rows if r["kind"] == "capture"] == ["0.03", "0.09", "0.06"]


# ------------------------------------------------------------------------------------- amounts refused


@pytest.mark.parametrize(
    ("subcommand", "needs_user"),
    [("budget set", True), ("budget default", False), ("budget cap", False)],
)
async def test_negative_and_garbled_amounts_are_refused_and_change_nothing(
    running: World, subcommand: str, needs_user: bool
) -> None:
    target = {"user": running.member} if needs_user else {}
    before = await ledger(running).server_settings(running.guild.id)

    text = await reply_text(running, running.moderator, subcommand, amount="-1", **target)
    assert text.startswith("Use an amount of zero or more here; to take money away, use `/budget grant`")

    text = await reply_text(running, running.moderator, subcommand, amount="two dollars", **target)
    assert text.startswith("`two dollars` is not an amount in dollars. Try `0.50`, `$2` or `-1.25`.")

    assert await ledger(running).entries(running.guild.id) == []
    assert await ledger(running).server_settings(running.guild.id) == before
    balance = await ledger(running).balance(running.guild.id, running.member.id)
    assert (balance.allowance, balance.allowance_source) == (1_000_000, "config")


async def test_garbled_grants_are_refused_with_a_hint(running: World) -> None:
    for typed in ("1,50", "$", "lots", "0.0000001"):
        text = await reply_text(running, running.moderator, "budget grant", user=running.member, amount=typed)
        assert "Try `0.50`" in text or "six decimals" in text
    assert await ledger(running).entries(running.guild.id) == []


# ---------------------------------------------------------------------------------------- members denied


EVERY_SUBCOMMAND: list[tuple[str, Mapping[str, object]]] = [
    ("budget set", {"amount": "50"}),
    ("budget grant", {"amount": "50", "reason": "me"}),
    ("budget default", {"amount": "50"}),
    ("budget cap", {"amount": "off"}),
    ("budget show", {}),
    ("budget report", {}),
]


@pytest.mark.parametrize("who", ["member", "member_with_another_role", "moderator_role_not_configured"])
async def test_members_who_are_not_moderators_are_denied_and_nothing_changes(world: World, who: str) -> None:
    if who == "member":
        member = world.member
    else:
        role = world.discord.add_role(world.guild, "Regulars" if who == "member_with_another_role" else "Treasurers")
        member = world.discord.add_member(world.guild, "caller", roles=[role])
    configured = world.discord.add_role(world.guild, "Moderators")
    await world.start_bot(budget={"moderator_role_ids": [configured.id]})
    await spend(world, world.member, images=1)
    entries = await ledger(world).entries(world.guild.id)
    settings = await ledger(world).server_settings(world.guild.id)

    for name, options in EVERY_SUBCOMMAND:
        wants_user = name in ("budget set", "budget grant", "budget show")
        reply = await private_message(
            await command(world, member, name, **options, **({"user": member} if wants_user else {}))
        )
        assert (reply.content, reply.embeds, reply.attachments) == (DENIED, [], [])

    assert await ledger(world).entries(world.guild.id) == entries
    assert await ledger(world).server_settings(world.guild.id) == settings
    balance = await ledger(world).balance(world.guild.id, member.id)
    assert (balance.allowance, balance.granted) == (1_000_000, 0)


# -------------------------------------------------------------------------------------------- /balance


async def balance_fields(world: World, member: FakeMember) -> dict[str, str]:
    interaction = await command(world, member, "balance")
    message = await private_message(interaction)
    assert message.embeds[0]["title"] == "Your image budget"
    return fields(message)


async def test_balance_after_jobs_grants_and_a_month_end(world: World) -> None:
    clock = MovableClock(datetime(2031, 1, 31, 22, 0, tzinfo=UTC))
    await world.start_bot(clock=clock)
    february = datetime(2031, 2, 1, tzinfo=UTC)

    fresh = await balance_fields(world, world.member)
    assert (fresh["Remaining"], fresh["Spent"], fresh["Held"]) == ("$1.00", "$0.00", "$0.00")
    assert fresh["Allowance"] == "$1.00 per month (bot default)"
    assert fresh["Period"] == f"This month, since {timestamp(datetime(2031, 1, 1, tzinfo=UTC))}d>"
    assert fresh["Next reset"].startswith(f"{timestamp(february)}f>")

    await spend(world, world.member, images=2)
    after_job = await balance_fields(world, world.member)
    assert (after_job["Remaining"], after_job["Spent"], after_job["Held"]) == ("$0.94", "$0.06", "$0.00")

    # A job in flight is held, not spent.
    world.ideogram.pause_replies()
    waiting = await world.slash("imagine", prompt="slow boat", num_images=3, rendering_speed="TURBO")
    await world.ideogram.wait_for_in_flight(3)
    in_flight = await balance_fields(world, world.member)
    assert (in_flight["Remaining"], in_flight["Spent"], in_flight["Held"]) == ("$0.85", "$0.06", "$0.09")
    world.ideogram.resume_replies()
    await world.result(waiting)

    await reply_text(world, world.moderator, "budget grant", user=world.member, amount="0.25", reason="bonus")
    granted = await balance_fields(world, world.member)
    assert (granted["Remaining"], granted["Spent"], granted["Held"]) == ("$1.10", "$0.15", "$0.00")
    assert granted["Allowance"] == "$1.00 per month (bot default)\n$0.25 granted this period"

    await reply_text(world, world.moderator, "budget default", amount="3")
    assert (await balance_fields(world, world.member))["Allowance"].startswith("$3.00 per month (server default)")
    await reply_text(world, world.moderator, "budget set", user=world.member, amount="0.75", period="day")
    own = await balance_fields(world, world.member)
    assert own["Allowance"].startswith("$0.75 per day (own allowance)")
    assert own["Next reset"].startswith(f"{timestamp(february)}f>")
    await reply_text(world, world.moderator, "budget set", user=world.member, amount="0.75", period="month")

    # Past the month end: spending and grants stay in January; February starts from the allowance.
    clock.move_to(february + timedelta(hours=1))
    rolled = await balance_fields(world, world.member)
    assert (rolled["Remaining"], rolled["Spent"], rolled["Held"]) == ("$0.75", "$0.00", "$0.00")
    assert rolled["Allowance"] == "$0.75 per month (own allowance)"
    assert rolled["Period"] == f"This month, since {timestamp(february)}d>"
    assert rolled["Next reset"].startswith(f"{timestamp(datetime(2031, 3, 1, tzinfo=UTC))}f>")
    await spend(world, world.member, images=1)
    assert (await balance_fields(world, world.member))["Remaining"] == "$0.72"


async def test_balance_for_a_total_budget_never_resets(world: World) -> None:
    await world.start_bot(budget={"default_period": "total", "default_allowance": "0.10"})
    await spend(world, world.member, images=1)
    values = await balance_fields(world, world.member)
    assert (values["Remaining"], values["Spent"]) == ("$0.07", "$0.03")
    assert values["Allowance"] == "$0.10 in total (bot default)"
    assert values["Period"] == "All time"
    assert values["Next reset"] == "never (total budget)"
