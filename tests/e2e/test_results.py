"""What a member can do with a result, end to end: per-image actions, Info, Delete, the layout's limits, and
every click as a job like any other (charged to the clicker, refused privately, one job per double click)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.jobs.derive import VARY_IMAGE_WEIGHTS
from tests.e2e.conftest import World, png
from tests.e2e.results_support import (
    REMIX_ROUTE,
    UPSCALE_ROUTE,
    V3,
    button,
    click,
    click_refused_privately,
    imagine,
    job_id,
    pixel_hash,
    replies_to,
    reply_result,
    requests_to,
    sent_image,
)
from tests.e2e.support import NOTHING_CHARGED, balance, image_size, jobs, mask_png, refused_privately
from tests.fakes.discord import FakeMessage
from tests.fakes.ideogram import SafetyRejected

TURBO = 30_000  # one V3 TURBO image


async def run_action(world: World, result: FakeMessage, action: str, number: int, **modal: Any) -> FakeMessage:
    """Click `action` on image `number` as the moderator (a button, or a select with more than 4 images) and
    return the result posted in reply. Remix fills its modal with `modal`."""
    job = job_id(result)
    variant = action.partition(":")[2]
    name = action.partition(":")[0]
    buttons = [c for c in result.custom_ids if c.startswith(f"{name}:{job}:{number}")]
    if len(result.attachments) <= 4:
        custom_id = f"{name}:{job}:{number}" + (f":{variant}" if variant else "")
        assert custom_id in buttons
        interaction = await world.discord.click(result, world.moderator, custom_id)
    else:
        custom_id = f"{name}:{job}" + (f":{variant}" if variant else "")
        interaction = await world.discord.select(result, world.moderator, custom_id, [str(number)])
    if name == "remix":
        await interaction.wait_for(lambda i: i.modal)
        await world.discord.submit_modal(interaction, modal)
    return await reply_result(world, result, len([m for m in replies_to(world, result) if m.embeds]))


ACTIONS = [
    pytest.param("upscale", UPSCALE_ROUTE, {}, {}, id="upscale"),
    pytest.param(
        "vary:subtle", REMIX_ROUTE, {}, {"image_weight": [str(VARY_IMAGE_WEIGHTS["subtle"])]}, id="vary-subtle"
    ),
    pytest.param(
        "vary:strong", REMIX_ROUTE, {}, {"image_weight": [str(VARY_IMAGE_WEIGHTS["strong"])]}, id="vary-strong"
    ),
    pytest.param(
        "remix",
        REMIX_ROUTE,
        {"prompt": "the same, at night", "image_weight": "70", "rendering_speed": ["QUALITY"]},
        {"prompt": ["the same, at night"], "image_weight": ["70"], "rendering_speed": ["QUALITY"]},
        id="remix",
    ),
]


@pytest.mark.parametrize(("action", "route", "modal", "fields"), ACTIONS)
@pytest.mark.parametrize("count", [2, 6])
async def test_each_action_sends_image_n_to_its_endpoint_charged_to_the_clicker(
    running: World, action: str, route: str, modal: dict[str, Any], fields: dict[str, list[str]], count: int
) -> None:
    result = await imagine(running, num_images=count, aspect_ratio="16x9")
    number = count  # the last image: not the first one by accident
    derived = await run_action(running, result, action, number, **modal)

    (request,) = requests_to(running, route)
    assert pixel_hash(sent_image(request)) == pixel_hash(result.attachments[number - 1].data)
    for name, value in fields.items():
        assert request.fields.get(name) == value or request.value(name) == value[0], name
    if route == REMIX_ROUTE:
        assert request.fields["aspect_ratio"] == ["16x9"]  # carried from the source job
        if action.startswith("vary"):
            assert request.fields["prompt"] == ["a lighthouse at dusk"]
    assert derived.embeds
    assert derived.attachments
    assert derived.custom_ids  # the derived result carries the same actions

    # Charged to the clicker (the moderator), not to the author of the result.
    assert (await balance(running)).spent == count * TURBO
    assert (await balance(running, running.moderator)).spent > 0
    source, made = (await jobs(running))[-2:]
    assert made["user_id"] == running.moderator.id
    assert made["source_job_id"] == source["id"]


async def test_every_action_works_after_a_restart_with_every_cdn_url_expired(world: World) -> None:
    await world.start_bot()
    result = await imagine(world, num_images=2)
    await world.stop_bot()
    world.discord.clock.advance(7 * 24 * 3600)  # every URL the bot saw has expired
    await world.start_bot()

    derived = [
        await run_action(world, result, action, 2, **modal)
        for action, modal in [
            ("upscale", {}),
            ("vary:subtle", {}),
            ("remix", {"prompt": "after", "image_weight": "40"}),
        ]
    ]
    requests = [r for r in world.ideogram.api_requests if r.path != f"{V3}/generate"]
    assert len(requests) == 3
    assert {pixel_hash(sent_image(r)) for r in requests} == {pixel_hash(result.attachments[1].data)}

    # Again on the variation, after one more restart a week later: its input is fetched from the original result.
    await world.stop_bot()
    world.discord.clock.advance(7 * 24 * 3600)
    await world.start_bot()
    varied = derived[1]
    await click(world, varied, button(varied, "again"))
    await reply_result(world, varied)
    *_, again = requests_to(world, REMIX_ROUTE)
    assert pixel_hash(sent_image(again)) == pixel_hash(result.attachments[1].data)


@pytest.mark.parametrize(("count", "rows", "selects"), [(1, 2, 0), (4, 5, 0), (8, 5, 4)])
async def test_the_layout_stays_within_discords_limits(running: World, count: int, rows: int, selects: int) -> None:
    result = await imagine(running, num_images=count)
    assert len(result.components) == rows
    found = [c for row in result.components for c in row["components"] if c["type"] == 3]
    assert len(found) == selects
    for select in found:
        assert [o["value"] for o in select["options"]] == [str(n) for n in range(1, count + 1)]
    job = job_id(result)
    assert {f"again:{job}", f"info:{job}", f"delete:{job}"} <= set(result.custom_ids)
    assert running.discord.violations == []  # the fake refuses what Discord would


async def test_info_shows_the_job_privately(running: World) -> None:
    result = await imagine(running, num_images=2, seed=42, aspect_ratio="16x9")
    interaction = await click(running, result, button(result, "info"), running.moderator)
    message = await interaction.wait_for(lambda i: i.original)
    assert message.ephemeral
    (embed,) = message.embeds
    assert embed["title"] == f"Job {job_id(result)}"
    assert embed["description"] == "a lighthouse at dusk"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "`aspect_ratio`: 16x9" in fields["Parameters"]
    assert "42" in fields["Seeds"]
    assert fields["Model"] == "V_3 · TURBO"
    assert fields["Cost"] == "$0.06"
    assert running.member.mention in fields["Made"]

    await run_action(running, result, "upscale", 1)
    derived = replies_to(running, result)[-1]
    shown = await click(running, derived, button(derived, "info"))
    derived_info = await shown.wait_for(lambda i: i.original)
    fields = {f["name"]: f["value"] for f in derived_info.embeds[0]["fields"]}
    assert fields["Derived from"] == f"job {job_id(result)}"


@pytest.mark.parametrize("who", ["author", "moderator"])
async def test_delete_by_the_author_or_a_moderator_removes_the_message(running: World, who: str) -> None:
    result = await imagine(running)
    spent = (await balance(running)).spent
    member = running.member if who == "author" else running.moderator
    await click(running, result, button(result, "delete"), member)
    await running.discord.wait_for(lambda: result.deleted, what="the result to be deleted")
    assert (await balance(running)).spent == spent  # refunds nothing


async def test_delete_by_someone_else_is_refused_privately(running: World) -> None:
    result = await imagine(running)
    other = running.discord.add_member(running.guild, "passer-by")
    interaction = await click(running, result, button(result, "delete"), other)
    assert "Only the member who made this result, or a moderator, can delete it." in await refused_privately(
        running, interaction
    )
    assert not result.deleted


@pytest.mark.parametrize("reason", ["budget", "job limit"])
async def test_a_refused_click_costs_nothing(world: World, reason: str) -> None:
    await world.start_bot(budget={"max_jobs_per_member": 1})
    assert world.bot is not None
    result = await imagine(world, num_images=2)
    if reason == "budget":
        await world.bot.ledger.set_allowance(
            guild_id=world.guild.id, user_id=world.moderator.id, amount=10_000, actor_id=world.member.id
        )
        expected = "you have $0.01 left"
    else:
        world.ideogram.pause_replies()
        await world.slash("imagine", member=world.moderator, prompt="busy", rendering_speed="TURBO")
        async with asyncio.timeout(10):
            await world.ideogram.wait_for_in_flight(1)
        expected = "You already have 1 job running (the limit is 1)"
    before = len(world.ideogram.api_requests)
    interaction = await click(world, result, f"vary:{job_id(result)}:1:strong", world.moderator)
    text = await click_refused_privately(world, interaction)
    assert expected in text
    assert NOTHING_CHARGED in text
    assert len(world.ideogram.api_requests) == before
    assert replies_to(world, result, deleted=True) == []
    world.ideogram.resume_replies()
    if reason == "budget":
        assert (await balance(world, world.moderator)).spent == 0


async def test_a_double_click_starts_one_job(running: World) -> None:
    result = await imagine(running)
    custom_id = f"upscale:{job_id(result)}:1"
    first = await click(running, result, custom_id, running.moderator)
    second = await click(running, result, custom_id, running.moderator)
    assert "one job is already on its way" in await refused_privately(running, second)
    await reply_result(running, result)
    assert first.ack is not None
    assert first.ack.type == 6
    assert len(requests_to(running, UPSCALE_ROUTE)) == 1
    assert len(replies_to(running, result, deleted=True)) == 1


async def test_describe_then_imagine_a_description(running: World) -> None:
    described = await running.result(
        await running.slash("describe", image=running.upload(png((48, 48), (10, 120, 200))))
    )
    job = job_id(described)
    assert [c for c in described.custom_ids if c.startswith("imagine:")] == [f"imagine:{job}:1", f"imagine:{job}:2"]
    await click(running, described, f"imagine:{job}:2", running.moderator)
    made = await reply_result(running, described)
    (request,) = requests_to(running, f"{V3}/generate")
    assert request.fields["prompt"] == ["A second, shorter fake description."]
    assert made.attachments
    assert (await balance(running, running.moderator)).spent == 60_000  # one V3 DEFAULT image


async def test_edit_n_sends_image_n_with_the_uploaded_mask(running: World) -> None:
    result = await imagine(running, num_images=2)
    job = job_id(result)
    opened = await click(running, result, f"edit:{job}:2", running.moderator)
    modal = await opened.wait_for(lambda i: i.modal)
    assert "mask" in str(modal["components"])
    mask = running.upload(mask_png(image_size(result.attachments[1].data)), "mask.png")
    await running.discord.submit_modal(opened, {"prompt": "add a moon", "mask": [mask]})
    edited = await reply_result(running, result)
    (request,) = requests_to(running, f"{V3}/edit")
    assert pixel_hash(sent_image(request)) == pixel_hash(result.attachments[1].data)
    assert request.fields["prompt"] == ["add a moon"]
    assert "mask" in request.files
    assert not [c for c in edited.custom_ids if c.startswith("again:")]  # the uploaded mask can't be fetched again
    assert (await balance(running, running.moderator)).spent > 0


async def test_a_click_that_fails_after_starting_removes_its_reply_and_tells_the_clicker_privately(
    running: World,
) -> None:
    result = await imagine(running, num_images=2)
    running.ideogram.inject(SafetyRejected(), route=REMIX_ROUTE)
    interaction = await click(running, result, f"vary:{job_id(result)}:1:subtle", running.moderator)
    message = await interaction.wait_for(lambda i: next((m for m in i.followups if m.ephemeral), None))
    assert NOTHING_CHARGED in message.content
    (reply,) = replies_to(running, result, deleted=True)
    assert reply.deleted  # the public "asked for Vary 1…" reply does not stay behind
    assert (await balance(running, running.moderator)).spent == 0


async def test_info_shows_the_members_text_inert(running: World) -> None:
    trick = "[free nitro](https://evil.example) **now** @everyone"
    result = await imagine(running, prompt=trick, negative_prompt=trick)
    shown = await (await click(running, result, button(result, "info"))).wait_for(lambda i: i.original)
    (embed,) = shown.embeds
    inert = r"\[free nitro](https://evil.example) \*\*now\*\* @" + "\u200beveryone"
    assert embed["description"] == inert
    assert f"`negative_prompt`: {inert}" in embed["fields"][1]["value"]


async def test_the_actions_speak_the_servers_language(running: World) -> None:
    running.guild.locale = "zh-CN"  # the server's preferred locale, as interactions carry it
    result = await imagine(running, num_images=1)
    labels = [c.get("label") for row in result.components for c in row["components"]]
    assert labels[:5] == ["放大 1", "变体 1（轻微）", "变体 1（强烈）", "重混 1", "重绘 1"]
    await click(running, result, f"upscale:{job_id(result)}:1", running.moderator)
    upscaled = await reply_result(running, result)
    assert upscaled.content == f"🔍 为 {running.moderator.mention} 完成的放大 1"
