"""/budget refund, /budget report's "paid to the provider", and the operator's limits on what moderators give,
end to end: the real bot, fake Discord, fake image API, real SQLite."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import World
from tests.e2e.test_budget import command, fields, ledger, parse_csv, private_message, reply_text, spend


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
    assert values["Spent"] == "$0.00"
    assert values["Paid to the provider"].startswith("$0.06: $0.06 captured from members, $0.00 written off")
    assert "Refunded to members since: $0.06." in values["Paid to the provider"]
    _, rows = parse_csv(report)
    refunds = [r for r in rows if r["kind"] == "refund"]
    assert [(r["amount_usd"], r["member_id"], r["actor_id"], r["job_id"]) for r in refunds] == [
        ("0.06", str(running.member.id), str(mod.id), str(job_id))
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
