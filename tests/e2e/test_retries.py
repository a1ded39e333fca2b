"""The repeat guard (a second identical start within a few seconds starts one job) holds back a double click,
never a retry: an attempt that was refused or failed no longer counts, so a member whose budget a moderator just
raised can try again at once."""

from __future__ import annotations

from tests.e2e.conftest import World
from tests.e2e.results_support import UPSCALE_ROUTE, imagine, replies_to, reply_result
from tests.e2e.test_reactions import react, reactions_cog, remixes

BROKE, DOLLAR = 0, 1_000_000


async def set_allowance(world: World, member_id: int, amount: int) -> None:
    assert world.bot is not None
    await world.bot.ledger.set_allowance(
        guild_id=world.guild.id, user_id=member_id, amount=amount, actor_id=world.moderator.id
    )


async def test_a_click_refused_for_budget_can_be_retried_at_once(running: World) -> None:
    result = await imagine(running)
    [job_id] = {custom_id.split(":")[1] for custom_id in result.custom_ids}
    await set_allowance(running, running.member.id, BROKE)
    refused = await running.discord.click(result, running.member, f"upscale:{job_id}:1")
    assert "That needs $0.06" in await running.private_reply(refused)

    await set_allowance(running, running.member.id, DOLLAR)  # the moderator raises it; the member clicks again
    retried = await running.discord.click(result, running.member, f"upscale:{job_id}:1")
    upscaled = await reply_result(running, result)
    assert upscaled.embeds
    assert [r.path for r in running.ideogram.api_requests].count(UPSCALE_ROUTE) == 1
    assert retried.followups == []  # not told "one job is already on its way"

    # A double click on a job that is delivered is still a repeat.
    again = await running.discord.click(result, running.member, f"upscale:{job_id}:1")
    assert "You clicked that a moment ago" in await running.private_reply(again)


async def test_a_refused_reaction_can_be_retried_at_once(running: World) -> None:
    reactions_cog(running).refusal_lifetime_s = 0.05
    sculptor = running.discord.add_member(running.guild, "sculptor")
    result = await imagine(running)
    await set_allowance(running, sculptor.id, BROKE)
    assert await react(running, result, sculptor, "🔁") == "refused"

    await set_allowance(running, sculptor.id, DOLLAR)
    await running.discord.unreact(result, sculptor, "🔁")
    assert await react(running, result, sculptor, "🔁") == "remixed"
    assert len(remixes(running)) == 1
    assert [m for m in replies_to(running, result) if m.embeds]
