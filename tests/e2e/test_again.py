"""🎲 Again under an /imagine result: the same prompt and settings, a new seed, charged to whoever clicks."""

from __future__ import annotations

from tests.e2e.conftest import World, png
from tests.e2e.support import balance


async def test_again_remakes_the_job_for_the_member_who_clicks(running: World) -> None:
    first = await running.slash(
        "imagine", prompt="a lighthouse", rendering_speed="TURBO", aspect_ratio="16x9", num_images=2, seed=7
    )
    result = await running.result(first)
    [button] = result.custom_ids
    assert button.startswith("again:")

    again = await running.discord.click(result, running.moderator, button)
    remade = await running.result(again)
    assert remade.id != result.id  # a new message: the original stays as it was
    assert len(remade.attachments) == 2
    original_call, again_call = running.ideogram.api_requests
    assert again_call.path == original_call.path == "/ideogram/v1/ideogram-v3/generate"
    assert again_call.fields["prompt"] == ["a lighthouse"]
    assert again_call.fields["aspect_ratio"] == ["16x9"]
    assert again_call.fields["num_images"] == ["2"]
    assert "seed" not in again_call.fields  # a new seed, or it would be the same images
    assert original_call.fields["seed"] == ["7"]

    # The clicker pays; the author paid once.
    assert (await balance(running, running.moderator)).spent == 60_000
    assert (await balance(running)).spent == 60_000
    assert remade.custom_ids
    assert remade.custom_ids != result.custom_ids


async def test_again_works_after_a_restart(world: World) -> None:
    await world.start_bot()
    result = await world.result(await world.slash("imagine", prompt="before the restart"))
    await world.stop_bot()
    await world.start_bot()
    remade = await world.result(await world.discord.click(result, world.member, result.custom_ids[0]))
    assert len(remade.attachments) == 1
    assert [r.value("prompt") for r in world.ideogram.api_requests] == ["before the restart"] * 2


async def test_again_refused_for_lack_of_budget_costs_nothing(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="pricey", rendering_speed="QUALITY"))
    assert running.bot is not None
    await running.bot.ledger.set_allowance(
        guild_id=running.guild.id, user_id=running.moderator.id, amount=50_000, actor_id=running.member.id
    )
    again = await running.discord.click(result, running.moderator, result.custom_ids[0])
    message = await again.wait_for(lambda i: next((m for m in [i.original, *i.followups] if m and m.ephemeral), None))
    assert "That needs $0.09 but you have $0.05 left" in message.content
    assert len(running.ideogram.api_requests) == 1
    assert (await balance(running, running.moderator)).spent == 0


async def test_results_with_attachments_or_of_other_commands_have_no_again_button(running: World) -> None:
    styled = await running.result(
        await running.slash("imagine", prompt="styled", style_reference=running.upload(png()))
    )
    remixed = await running.result(
        await running.slash("remix", prompt="remixed", image=running.upload(png(), "in.png"))
    )
    assert styled.custom_ids == remixed.custom_ids == []
