"""🎲 Again under a result: the same prompt and settings, a new seed, charged to whoever clicks."""

from __future__ import annotations

from tests.e2e.conftest import World, png
from tests.e2e.results_support import (
    REMIX_ROUTE,
    button,
    click,
    job_id,
    pixel_hash,
    reply_result,
    requests_to,
    sent_image,
)
from tests.e2e.support import balance


async def test_again_remakes_the_job_for_the_member_who_clicks(running: World) -> None:
    first = await running.slash(
        "imagine", prompt="a lighthouse", rendering_speed="TURBO", aspect_ratio="16x9", num_images=2, seed=7
    )
    result = await running.result(first)
    again = await click(running, result, button(result, "again"), running.moderator)
    remade = await reply_result(running, result)
    assert again.ack is not None
    assert again.ack.type == 6
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
    assert button(remade, "again") != button(result, "again")


async def test_again_works_after_a_restart(world: World) -> None:
    await world.start_bot()
    result = await world.result(await world.slash("imagine", prompt="before the restart"))
    await world.stop_bot()
    await world.start_bot()
    await click(world, result, button(result, "again"))
    remade = await reply_result(world, result)
    assert len(remade.attachments) == 1
    assert [r.value("prompt") for r in world.ideogram.api_requests] == ["before the restart"] * 2


async def test_again_refused_for_lack_of_budget_costs_nothing(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="pricey", rendering_speed="QUALITY"))
    assert running.bot is not None
    await running.bot.ledger.set_allowance(
        guild_id=running.guild.id, user_id=running.moderator.id, amount=50_000, actor_id=running.member.id
    )
    again = await click(running, result, button(result, "again"), running.moderator)
    message = await again.wait_for(lambda i: next((m for m in [i.original, *i.followups] if m and m.ephemeral), None))
    assert "That needs $0.09 but you have $0.05 left" in message.content
    assert len(running.ideogram.api_requests) == 1
    assert (await balance(running, running.moderator)).spent == 0


async def test_results_made_from_a_slash_commands_attachment_have_no_again_button(running: World) -> None:
    styled = await running.result(
        await running.slash("imagine", prompt="styled", style_reference=running.upload(png()))
    )
    remixed = await running.result(
        await running.slash("remix", prompt="remixed", image=running.upload(png(), "in.png"))
    )
    for message in (styled, remixed):
        assert not [c for c in message.custom_ids if c.startswith("again:")]
        assert [c for c in message.custom_ids if c.startswith("upscale:")]  # the other actions are there


async def test_again_on_a_derived_job_fetches_its_input_again(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="a harbour", num_images=2))
    await click(running, result, f"vary:{job_id(result)}:2:subtle")
    varied = await reply_result(running, result)
    await click(running, varied, button(varied, "again"))
    remade = await reply_result(running, varied)
    assert remade.embeds
    first, second = requests_to(running, REMIX_ROUTE)
    assert pixel_hash(sent_image(first)) == pixel_hash(sent_image(second)) == pixel_hash(result.attachments[1].data)
    assert second.fields["image_weight"] == first.fields["image_weight"]
