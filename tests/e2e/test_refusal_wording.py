"""How refusals are worded: a job's refusal says what it cost ("Nothing was charged."); a refusal that never had
money at stake (a moderator's command, Delete, /job) does not."""

from __future__ import annotations

from tests.e2e.conftest import World

NOTHING_CHARGED = "Nothing was charged."


async def test_refusals_of_moderators_commands_say_nothing_about_charges(running: World) -> None:
    grant = await running.slash("budget grant", member=running.moderator, user=running.member, amount="0")
    assert await running.private_reply(grant) == "A grant of $0.00 changes nothing. Use a positive or negative amount."
    amount = await running.slash("budget set", member=running.moderator, user=running.member, amount="lots")
    assert await running.private_reply(amount) == "`lots` is not an amount in dollars. Try `0.50`, `$2` or `-1.25`."
    refund = await running.slash("budget refund", member=running.moderator, job=999)
    assert NOTHING_CHARGED not in await running.private_reply(refund)
    word = await running.slash("policy words", member=running.moderator, action="remove", word="dragon")
    assert await running.private_reply(word) == (
        "That word wasn't blocked, so nothing changed. `/policy words action:list` shows the list."
    )
    job = await running.slash("job", id=999)
    assert NOTHING_CHARGED not in await running.private_reply(job)


async def test_delete_refused_says_nothing_about_charges_but_a_refused_job_does(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="a cat", rendering_speed="TURBO"))
    assert running.bot is not None
    [(job, _images)] = await running.bot.ledger.member_jobs(running.guild.id, running.member.id, limit=1)
    stranger = running.discord.add_member(running.guild, "stranger")
    delete = await running.discord.click(result, stranger, f"delete:{job.job_id}")
    assert await running.private_reply(delete) == "Only the member who made this result, or a moderator, can delete it."

    # Starting a job is where money could have been at stake: its refusals say it was not.
    plain = await running.discord.post_message(running.channel, stranger, "no picture here")
    menu = await running.discord.message_command(running.guild, running.channel, stranger, "Upscale image", plain)
    assert (await running.private_reply(menu)).endswith(NOTHING_CHARGED)
    await running.bot.ledger.set_allowance(
        guild_id=running.guild.id, user_id=stranger.id, amount=0, actor_id=running.moderator.id
    )
    again = await running.discord.click(result, stranger, f"again:{job.job_id}")
    assert (await running.private_reply(again)).endswith(NOTHING_CHARGED)
