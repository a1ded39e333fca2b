"""Members' own tools end to end: /settings (defaults applied in the pipeline), /history, /job and /help."""

from __future__ import annotations

from typing import Any

from bot.ledger import ResultImage
from tests.e2e.conftest import World, png
from tests.e2e.results_support import reply_result
from tests.e2e.support import fields
from tests.fakes.discord import FakeInteraction, FakeMember, FakeMessage

V3_GENERATE = "/ideogram/v1/ideogram-v3/generate"


async def private(interaction: FakeInteraction) -> FakeMessage:
    message: FakeMessage = await interaction.wait_for(
        lambda i: next((m for m in [i.original, *i.followups] if m is not None and not m.loading), None)
    )
    assert message.ephemeral, "members' tools answer privately"
    return message


async def ask(world: World, command: str, member: FakeMember | None = None, **options: Any) -> FakeMessage:
    return await private(await world.slash(command, member=member, **options))


def text_of(message: FakeMessage) -> str:
    """Content, embed title, description, fields and footer as one text."""
    parts = [str(message.content or "")]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        parts.append(embed.get("footer", {}).get("text", ""))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------- /settings


async def test_settings_are_applied_where_not_given_and_overridden_where_given(running: World) -> None:
    empty = await ask(running, "settings")
    assert "You have no defaults here" in text_of(empty)

    saved = await ask(running, "settings", rendering_speed="TURBO", num_images=2, negative_prompt="blurry")
    shown = text_of(saved)
    assert "Saved." in shown
    assert "`rendering_speed`: TURBO" in shown
    assert "`num_images`: 2" in shown
    assert "`negative_prompt`: blurry" in shown
    assert text_of(await ask(running, "settings")).count("`") == shown.count("`")  # shown again without options

    running.ideogram.pause_replies()
    interaction = await running.slash("imagine", prompt="a lighthouse")
    # The cost preview says which defaults the job uses.
    working = await interaction.wait_for_original(lambda m: "Working on it" in m.content)
    assert working.content == (
        "🎨 Working on it (up to $0.06, with your /settings: rendering_speed TURBO, num_images 2, "
        "negative_prompt blurry)…"
    )
    running.ideogram.resume_replies()
    result = await running.result(interaction)
    call = running.ideogram.api_requests[-1]
    assert call.path == V3_GENERATE
    assert (call.value("rendering_speed"), call.value("num_images"), call.value("negative_prompt")) == (
        "TURBO",
        "2",
        "blurry",
    )
    assert len(result.attachments) == 2
    note = fields(result)["Note"]
    assert "Your /settings defaults were used: rendering_speed TURBO, num_images 2, negative_prompt blurry." in note

    # Options given explicitly win; defaults fill only the rest.
    result = await running.result(
        await running.slash("imagine", prompt="a harbour", rendering_speed="QUALITY", num_images=1)
    )
    call = running.ideogram.api_requests[-1]
    assert (call.value("rendering_speed"), call.value("num_images"), call.value("negative_prompt")) == (
        "QUALITY",
        "1",
        "blurry",
    )
    assert "negative_prompt blurry." in fields(result)["Note"]
    assert "rendering_speed" not in fields(result)["Note"]

    # Another member is untouched by these defaults.
    await running.result(await running.slash("imagine", prompt="theirs", member=running.moderator))
    call = running.ideogram.api_requests[-1]
    assert (call.value("rendering_speed"), call.value("num_images"), call.value("negative_prompt")) == (
        "DEFAULT",
        "1",
        None,
    )


async def test_a_default_the_operation_cannot_take_is_skipped(running: World) -> None:
    await ask(running, "settings", model="V_2", rendering_speed="TURBO", aspect_ratio="16x9")

    # /reframe is V_3 only and takes no aspect ratio: both defaults are skipped, rendering_speed is used.
    result = await running.result(await running.slash("reframe", image=running.upload(png()), resolution="1280x800"))
    call = running.ideogram.api_requests[-1]
    assert call.path == "/ideogram/v1/ideogram-v3/reframe"
    assert call.value("rendering_speed") == "TURBO"
    assert "model" not in call.fields
    assert "aspect_ratio" not in call.fields
    assert "Your /settings defaults were used: rendering_speed TURBO." in fields(result)["Note"]

    # /imagine takes the legacy model; rendering_speed is V_3-only, so it is skipped there.
    await running.result(await running.slash("imagine", prompt="old style"))
    call = running.ideogram.api_requests[-1]
    assert call.path == "/ideogram/generate"
    assert call.image_request["model"] == "V_2"
    assert call.image_request["aspect_ratio"] == "ASPECT_16_9"
    assert "rendering_speed" not in call.image_request

    # A resolution given explicitly pushes the aspect ratio default out instead of failing.
    await running.result(await running.slash("imagine", prompt="exact", resolution="1024x1024", model="V_3"))
    call = running.ideogram.api_requests[-1]
    assert call.value("resolution") == "1024x1024"
    assert call.value("aspect_ratio") is None


async def test_reset_clears_the_defaults(running: World) -> None:
    await ask(running, "settings", num_images=3)
    cleared = await ask(running, "settings", reset=True)
    assert "Your defaults here are cleared." in text_of(cleared)
    assert "You have no defaults here" in text_of(cleared)
    result = await running.result(await running.slash("imagine", prompt="plain"))
    assert running.ideogram.api_requests[-1].value("num_images") == "1"
    assert "Note" not in fields(result)


async def test_settings_apply_to_buttons_as_well(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="a lighthouse"))
    await ask(running, "settings", member=running.moderator, rendering_speed="FLASH")
    [again_id] = [custom_id for custom_id in result.custom_ids if custom_id.startswith("again:")]
    await running.discord.click(result, running.moderator, again_id)
    again = await reply_result(running, result)
    assert running.ideogram.api_requests[-1].value("rendering_speed") == "FLASH"
    assert "rendering_speed FLASH" in fields(again)["Note"]


# -------------------------------------------------------------------------------------------- /history


async def make_jobs(world: World, count: int) -> list[int]:
    """`count` finished jobs of the world's member, recorded straight in the ledger (oldest first)."""
    assert world.bot is not None
    ledger = world.bot.ledger
    ids = []
    for number in range(count):
        job_id = await ledger.create_job(
            guild_id=world.guild.id,
            channel_id=world.channel.id,
            user_id=world.member.id,
            command="imagine",
            operation="generate",
            parameters={"prompt": f"picture number {number}", "num_images": 1},
            prompt=f"picture number {number}",
        )
        image = ResultImage(0, 9000 + number, "https://cdn.example/x.png", None, True, number, None)
        await ledger.finish_job(job_id, cost=30_000, message_id=5000 + number, seed=number, images=[image])
        ids.append(job_id)
    return ids


async def test_history_pages_through_25_jobs_newest_first(running: World) -> None:
    ids = await make_jobs(running, 25)
    first = await ask(running, "history")
    lines = first.embeds[0]["description"].splitlines()
    assert len(lines) == 10
    assert [f"`#{job_id}`" for job_id in reversed(ids[-10:])] == [line.split()[0] for line in lines]
    newest = lines[0]
    assert "/imagine" in newest
    assert '"picture number 24"' in newest
    assert "1 image" in newest
    assert "$0.03" in newest
    assert "done" in newest
    jump = f"https://discord.com/channels/{running.guild.id}/{running.channel.id}/5024"
    assert f"[result]({jump})" in newest
    assert "Page 1 of 3 · 25 jobs" in first.embeds[0]["footer"]["text"]
    previous, following = first.custom_ids
    assert (previous, following) == ("history:0", "history:1")

    second = await running.discord.click(first, running.member, following)
    page = await second.wait_for(lambda i: "Page 2 of 3" in first.embeds[0]["footer"]["text"] and first)
    assert [line.split()[0] for line in page.embeds[0]["description"].splitlines()] == [
        f"`#{job_id}`" for job_id in reversed(ids[5:15])
    ]
    third = await running.discord.click(page, running.member, "history:2")
    page = await third.wait_for(lambda i: "Page 3 of 3" in first.embeds[0]["footer"]["text"] and first)
    assert len(page.embeds[0]["description"].splitlines()) == 5
    # The last page's Next is disabled.
    buttons = [c for row in page.components for c in row["components"]]
    assert [b.get("disabled", False) for b in buttons] == [False, True]


async def test_history_shows_only_the_members_own_jobs(running: World) -> None:
    await make_jobs(running, 2)
    theirs = await ask(running, "history", member=running.moderator)
    assert "You haven't started any jobs here yet." in text_of(theirs)


# ------------------------------------------------------------------------------------------------ /job


async def test_job_in_full_for_its_author_and_a_moderator_but_not_someone_else(running: World) -> None:
    result = await running.result(
        await running.slash("imagine", prompt="a red fox", seed=42, rendering_speed="TURBO", num_images=2)
    )
    assert running.bot is not None
    [job] = [j for j, _ in await running.bot.ledger.member_jobs(running.guild.id, running.member.id, limit=1)]
    for who in (running.member, running.moderator):
        answer = await ask(running, "job", member=who, id=job.job_id)
        shown = text_of(answer)
        assert f"Job {job.job_id}" in shown
        assert "a red fox" in shown
        assert "`rendering_speed`: TURBO" in shown
        assert "`num_images`: 2" in shown
        assert "Seeds: 42" in shown
        assert "Cost: $0.06" in shown
        assert "Status: done" in shown
        assert f"/{running.channel.id}/{result.id}" in shown
        # The result still exists, so its buttons come along, and they act on the result itself.
        assert answer.custom_ids == result.custom_ids

    answer = await ask(running, "job", id=job.job_id)
    await running.discord.click(answer, running.member, f"upscale:{job.job_id}:2")
    upscaled = await reply_result(running, result)
    assert upscaled.attachments
    assert running.ideogram.api_requests[-1].path == "/ideogram/upscale"

    # Once the result is deleted, /job still shows the job, without buttons.
    await running.discord.click(result, running.member, f"delete:{job.job_id}")
    await running.discord.wait_for(lambda: result.deleted, what="the result to be deleted")
    gone = await ask(running, "job", id=job.job_id)
    assert "Status: done" in text_of(gone)
    assert gone.custom_ids == []
    # Asking Discord for the deleted message was the check (a 404 the fake records): expected, once.
    [looked] = [v for v in running.discord.violations if v.kind == "unknown_message"]
    running.discord.violations.remove(looked)

    stranger = running.discord.add_member(running.guild, "stranger")
    refused = text_of(await ask(running, "job", member=stranger, id=job.job_id))
    assert f"Job #{job.job_id} isn't yours; only its author or a moderator can see it." in refused
    assert "a red fox" not in refused
    missing = text_of(await ask(running, "job", id=job.job_id + 100))
    assert f"There is no job #{job.job_id + 100} in this server." in missing


# ----------------------------------------------------------------------------------------------- /help


async def test_help_lists_every_registered_command_prices_and_the_budget(running: World) -> None:
    shown = text_of(await ask(running, "help"))
    synced = running.discord.synced_commands(running.guild) or running.discord.synced_commands()
    names: list[str] = []
    for command in synced:
        if command.get("type", 1) != 1:
            names.append(f"**{command['name']}**")
            continue
        subcommands = [o for o in command.get("options", []) if o["type"] == 1]
        names += [f"`/{command['name']} {o['name']}`" for o in subcommands] or [f"`/{command['name']}`"]
    assert len(names) >= 14
    for name in names:
        assert name in shown, f"/help does not mention {name}"
    assert "QUALITY $0.09" in shown
    assert "TURBO $0.03" in shown
    assert "You have $1.00 left this month" in shown
    assert "/budget set" in shown


async def test_settings_apply_to_reaction_remixes(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="a lighthouse", rendering_speed="TURBO"))
    await ask(running, "settings", member=running.moderator, num_images=2)
    await running.discord.react(result, running.moderator, "🔁")
    remix = await running.discord.wait_for_message(
        lambda m: bool(m.embeds) and m.message_reference is not None, channel=running.channel
    )
    call = running.ideogram.api_requests[-1]
    assert call.path == "/ideogram/v1/ideogram-v3/remix"
    assert call.value("num_images") == "2"
    assert len(remix.attachments) == 2
    assert "num_images 2" in fields(remix)["Note"]
