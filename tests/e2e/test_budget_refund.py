"""/budget refund, /budget report's "paid to the provider", and the operator's limits on what moderators give,
end to end: the real bot, fake Discord, fake image API, real SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import World
from tests.e2e.test_budget import (
    MovableClock,
    command,
    fields,
    ledger,
    parse_csv,
    private_message,
    reply_text,
    spend,
)

CSV_COLUMNS = ["id", "created_at", "kind", "amount_usd", "member_id", "actor_id", "job_id", "reason"]


async def test_refund_returns_a_jobs_charge_once_and_is_refused_after(running: World) -> None:
    mod = running.moderator
    await spend(running, running.member, images=2)
    (job_id,) = {e.job_id for e in await ledger(running).entries(running.guild.id) if e.kind == "capture"}
    assert job_id is not None
    assert (await ledger(running).balance(running.guild.id, running.member.id)).spent == 60_000

    text = await reply_text(running, mod, "budget refund", job=job_id)
    assert text == f"Refunded $0.06 of job {job_id} to {running.member.mention}; they have $1.00 left this period."
    for _ in range(2):
        again = await reply_text(running, mod, "budget refund", job=job_id)
        assert again.startswith(f"Job {job_id} was already refunded; a job is refunded at most once.")
    balance = await ledger(running).balance(running.guild.id, running.member.id)
    assert (balance.spent, balance.remaining) == (0, 1_000_000)

    report = await private_message(await command(running, mod, "budget report"))
    values = fields(report)
    assert (values["Spent"], values["Refunded"]) == ("$0.00", "$0.06")
    assert values["Paid to the provider"].startswith("$0.06: $0.06 captured from members, $0.00 written off")
    _, rows = parse_csv(report)
    refunds = [r for r in rows if r["kind"] == "refund"]
    assert [(r["amount_usd"], r["member_id"], r["actor_id"], r["job_id"]) for r in refunds] == [
        ("0.06", str(running.member.id), str(mod.id), str(job_id))
    ]


async def test_refunding_last_months_job_shows_as_refunded_not_as_negative_spending(world: World) -> None:
    clock = MovableClock(datetime(2031, 1, 30, 12, 0, tzinfo=UTC))
    await world.start_bot(clock=clock)
    await spend(world, world.member, images=2)  # $0.06 in January
    (job_id,) = {e.job_id for e in await ledger(world).entries(world.guild.id) if e.kind == "capture"}
    clock.move_to(datetime(2031, 2, 2, 9, 0, tzinfo=UTC))
    await spend(world, world.member, images=1)  # $0.03 in February
    await reply_text(world, world.moderator, "budget grant", user=world.member, amount="0.50")
    await reply_text(world, world.moderator, "budget refund", job=job_id)  # January's job, refunded in February

    # The member: nothing spent (not -$0.03), the refund on its own line, and the numbers add up:
    # $1.00 allowance + $0.50 granted + $0.03 refunded beyond this month's spending − $0.00 spent = $1.53.
    for who, name in ((world.member, "balance"), (world.moderator, "budget show")):
        options = {"user": world.member} if name == "budget show" else {}
        values = fields(await private_message(await command(world, who, name, **options)))
        assert (values["Spent"], values["Held"], values["Remaining"]) == ("$0.00", "$0.00", "$1.53")
        assert "$0.50 granted this period" in values["Allowance"]
        assert "$0.03 refunded this period" in values["Allowance"]

    report = await private_message(await command(world, world.moderator, "budget report"))
    values = fields(report)
    assert (values["Spent"], values["Refunded"], values["Granted"]) == ("$0.00", "$0.06", "$0.50")
    assert values["Paid to the provider"].startswith("$0.03: $0.03 captured from members")
    assert "-" not in "".join(values.values())
    _, rows = parse_csv(report)
    assert list(rows[0]) == CSV_COLUMNS
    assert [(r["kind"], r["amount_usd"], r["job_id"]) for r in rows if r["kind"] in ("capture", "refund")] == [
        ("capture", "0.03", rows[0]["job_id"]),
        ("refund", "0.06", str(job_id)),
    ]


async def test_refunds_of_unknown_or_uncharged_jobs_are_refused(running: World) -> None:
    text = await reply_text(running, running.moderator, "budget refund", job=424242)
    assert text.startswith("There is no job 424242 in this server.")
    job_id = await ledger(running).create_job(
        guild_id=running.guild.id,
        channel_id=running.channel.id,
        user_id=running.member.id,
        command="imagine",
        operation="generate",
        parameters={},
        prompt="free",
    )
    text = await reply_text(running, running.moderator, "budget refund", job=job_id)
    assert text.startswith(f"Job {job_id} was not charged anything, so there is nothing to refund.")
    assert [e for e in await ledger(running).entries(running.guild.id) if e.kind == "refund"] == []


async def test_members_cannot_refund(running: World) -> None:
    await spend(running, running.member, images=1)
    (job_id,) = {e.job_id for e in await ledger(running).entries(running.guild.id) if e.kind == "capture"}
    text = await reply_text(running, running.member, "budget refund", job=job_id)
    assert text.startswith("Only moderators")
    assert [e for e in await ledger(running).entries(running.guild.id) if e.kind == "refund"] == []


@pytest.mark.parametrize(
    ("subcommand", "options"),
    [
        ("budget set", {"amount": "5.01"}),
        ("budget default", {"amount": "6"}),
        ("budget grant", {"amount": "5.000001"}),
    ],
)
async def test_max_allowance_refuses_more_and_names_the_limit(
    world: World, subcommand: str, options: dict[str, str]
) -> None:
    await world.start_bot(budget={"max_allowance": "5.00"})
    target = {} if subcommand == "budget default" else {"user": world.member}
    text = await reply_text(world, world.moderator, subcommand, **options, **target)
    assert "more than this bot allows ($5.00, the operator's `max_allowance`)" in text
    assert "Use $5.00 or less." in text
    assert await ledger(world).entries(world.guild.id) == []
    within = {**options, "amount": "5"}
    assert "max_allowance" not in await reply_text(world, world.moderator, subcommand, **within, **target)


@pytest.mark.parametrize("subcommand", ["budget set", "budget default", "budget cap", "budget grant"])
async def test_huge_amounts_get_a_clear_refusal_not_an_incident(running: World, subcommand: str) -> None:
    target = {"user": running.member} if subcommand in ("budget set", "budget grant") else {}
    text = await reply_text(running, running.moderator, subcommand, amount="9" * 40, **target)
    assert "is more than any budget amount can be ($1,000,000.00)" in text
    assert "incident" not in text
    assert await ledger(running).entries(running.guild.id) == []
