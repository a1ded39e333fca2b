"""`[discord] allowed_guild_ids`: outside the list, every command, button and reaction gets one short refusal,
and nothing is held, recorded or sent to the image API."""

from __future__ import annotations

from tests.e2e.conftest import World
from tests.e2e.support import jobs, refused_privately
from tests.e2e.test_members import ask, make_jobs

NOT_SERVED = "This bot isn't enabled in this server."


async def test_everything_outside_the_allowed_servers_is_refused_and_costs_nothing(world: World) -> None:
    await world.start_bot()
    result = await world.result(await world.slash("imagine", prompt="before the list", rendering_speed="TURBO"))
    await world.stop_bot()
    await world.start_bot(discord={"allowed_guild_ids": [world.guild.id + 1]})
    assert world.bot is not None
    entries = await world.bot.ledger.entries(world.guild.id)
    calls = len(world.ideogram.api_requests)

    command = await world.slash("imagine", prompt="a cat", rendering_speed="TURBO")
    assert NOT_SERVED in await refused_privately(world, command)
    moderator = await world.slash("budget show", member=world.moderator, user=world.member)
    assert NOT_SERVED in await refused_privately(world, moderator)
    again = await world.discord.click(result, world.moderator, result.custom_ids[0])
    assert NOT_SERVED in await refused_privately(world, again)

    handled = world.bot.wait_for("remix_reaction", timeout=world.discord.wait_timeout_s)
    await world.discord.react(result, world.moderator, "🔁")
    _, outcome = await handled
    assert outcome == "refused"
    [refusal] = [m for m in world.discord.messages_in(world.channel) if m.message_reference]
    assert refusal.content.startswith(f"{world.moderator.mention} {NOT_SERVED}")

    assert len(world.ideogram.api_requests) == calls  # zero API calls
    assert await world.bot.ledger.entries(world.guild.id) == entries  # zero ledger rows
    assert len(await jobs(world)) == 1  # the job from before the list; none since


async def test_the_listed_servers_are_served(world: World) -> None:
    await world.start_bot(discord={"allowed_guild_ids": [world.guild.id]})
    result = await world.result(await world.slash("imagine", prompt="a cat", rendering_speed="TURBO"))
    assert len(result.attachments) == 1


async def test_a_button_that_is_not_a_job_is_refused_too(world: World) -> None:
    await world.start_bot()
    await make_jobs(world, 12)
    first = await ask(world, "history")
    await world.stop_bot()
    await world.start_bot(discord={"allowed_guild_ids": [world.guild.id + 1]})

    click = await world.discord.click(first, world.member, "history:1")
    assert NOT_SERVED in await refused_privately(world, click)
    assert "Page 1 of 2" in first.embeds[0]["footer"]["text"]  # the page did not turn
